"""One paginator for every paged list (a compound's claims, search results): the page a request
asks for, and the addresses of its page navigation, templates/kb/_pages.html.

A page number in the address is never an error: a missing or non-numeric one shows the first page
and one out of range the last (Paginator.get_page), so junk in a shared link still shows a page.
The first page's address has no page parameter: each page has one address.
"""

from collections.abc import Mapping

from django.core.paginator import Page, Paginator
from django.http import QueryDict

# Page numbers shown around the current one, and at each end, before an ellipsis.
ON_EACH_SIDE = 2
ON_ENDS = 1


def paginate(request, object_list, per_page: int, *, param: str = "page") -> Page:
    """The page of object_list that the request's `param` names."""
    return Paginator(object_list, per_page).get_page(request.GET.get(param))


def page_links(path: str, page: Page, query: Mapping = (), *, param: str = "page") -> dict:
    """The page navigation's addresses, each keeping `query`: the list's other parameters (a
    QueryDict such as request.GET, or a dict); its own `param` is replaced.

    {"previous": address or "", "next": address or "", "pages": [(number, address, is the
    current page)]}, the numbers elided around the current page; an ellipsis has no address.
    """
    if isinstance(query, QueryDict):
        base = query.copy()
    else:
        base = QueryDict(mutable=True)
        base.update(dict(query))

    def url(number: int) -> str:
        params = base.copy()
        if number > 1:
            params[param] = str(number)
        else:
            params.pop(param, None)
        return f"{path}?{params.urlencode()}" if params else path

    numbers = page.paginator.get_elided_page_range(
        page.number, on_each_side=ON_EACH_SIDE, on_ends=ON_ENDS
    )
    return {
        "previous": url(page.previous_page_number()) if page.has_previous() else "",
        "next": url(page.next_page_number()) if page.has_next() else "",
        "pages": [
            (number, url(number) if isinstance(number, int) else "", number == page.number)
            for number in numbers
        ],
    }
