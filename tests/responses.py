"""Reading a response's body whether it was streamed (the API, the claim downloads) or not."""

import json


def content(response) -> bytes:
    """The whole body; reading a streamed one runs its queries, so count queries around this."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def text(response) -> str:
    return content(response).decode(response.charset)


def json_of(response):
    return json.loads(content(response))
