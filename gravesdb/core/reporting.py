"""Error reports that cannot carry what a sensitive page was handling.

Django hides the POST values of a view marked ``sensitive_post_parameters``, but
still lists every local variable of every frame in the traceback it e-mails to
the administrators or shows with DEBUG on. On the pages that handle witness
identities a local variable may hold a legal name, so for requests marked
sensitive this filter hides every frame's variables: the traceback keeps the
code path, which is what a developer needs, and loses the data.
"""

from django.views.debug import SafeExceptionReporterFilter


class SensitiveRequestExceptionReporterFilter(SafeExceptionReporterFilter):
    def get_traceback_frame_variables(self, request, tb_frame):
        if request is not None and getattr(request, "sensitive_post_parameters", None):
            return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
        return super().get_traceback_frame_variables(request, tb_frame)
