from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Cursor pages: constant cost at any depth and stable while records are added.

    An offset page 2,000 deep makes PostgreSQL walk 100,000 rows; a cursor seeks
    straight to its position, which is what keeps a 100,000-site list as fast as a
    small one.
    """

    ordering = "reference_code"
    page_size_query_param = "page_size"
    max_page_size = 500
