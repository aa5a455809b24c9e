"""A cap on the size of a multipart request, files included.

Django bounds a request's form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but not its uploaded files:
those are streamed to a temporary file of any size. And the body is read before any view checks
who is asking, since CsrfViewMiddleware reads the form's token from it: anyone holding a CSRF
cookie (which they can make up) could have the server write gigabytes to its disk. This
handler, first in FILE_UPLOAD_HANDLERS, refuses such a request before anything is read, with
Django's own "request too big" error (a 400 answered by templates/400.html). The project's only
upload is an article of at most kb.articles.MAX_BYTES, well below the cap.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler


class RequestSizeLimit(FileUploadHandler):
    """Refuse a multipart body larger than DATA_UPLOAD_MAX_MEMORY_SIZE, files included."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        # Django reads no more than Content-Length bytes of a body (none without the header).
        if limit is not None and content_length > limit:
            raise RequestDataTooBig(
                "Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE (files included)."
            )

    def receive_data_chunk(self, raw_data, start):
        return raw_data  # on to the next handler, which stores the file

    def file_complete(self, file_size):
        return None  # the next handler makes the uploaded file
