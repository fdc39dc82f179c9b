import functools
import logging
import subprocess
from collections import OrderedDict

from odoo import models
from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin

_logger = logging.getLogger(__name__)


@functools.cache
def wkhtmltopdf_has_patched_qt():
    """Whether the installed wkhtmltopdf is built with wkhtmltopdf's patched Qt.

    Builds without it (e.g. Debian's package) ignore headers, footers and outlines;
    Odoo needs the outlines to cut a several-record PDF back into one document per
    record, so printing several records at once fails with such a build.
    """
    try:
        version = subprocess.run(
            [_get_wkhtmltopdf_bin(), "--version"], capture_output=True, text=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return True  # unknown: keep Odoo's own behaviour
    return "patched qt" in version.lower()


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _render_qweb_pdf_prepare_streams(self, report_ref, data, res_ids=None):
        """Render several records one by one when wkhtmltopdf lacks the patched Qt.

        With such a build Odoo cannot split a several-record PDF per record (printing a
        month of rent calls, or any batch, fails); each record is then rendered on its own
        and Odoo merges the documents as usual.
        """
        if not res_ids or len(set(res_ids)) < 2 or wkhtmltopdf_has_patched_qt():
            return super()._render_qweb_pdf_prepare_streams(report_ref, data, res_ids=res_ids)
        _logger.info(
            "wkhtmltopdf without patched Qt: rendering %d records one by one", len(res_ids)
        )
        streams = OrderedDict()
        for res_id in dict.fromkeys(res_ids):
            streams.update(
                super()._render_qweb_pdf_prepare_streams(
                    report_ref, dict(data or {}), res_ids=[res_id]
                )
            )
        return streams
