"""Payment status reports (pain.002) of direct debit files: rejections before collection."""

from collections import defaultdict

from odoo import _, api, models
from odoo.exceptions import UserError

from odoo.addons.rental_flow.engines import sepa

from ..engines.sdd_status import REJECTED, StatusReason


class RentalSddCollection(models.Model):
    _inherit = "rental.sdd.collection"

    @api.model
    def _rental_apply_status_report(self, report):
        """Apply a parsed pain.002 (:class:`~..engines.sdd_status.StatusReport`).

        The bank rejects a whole file, a payment information block (one sequence type of
        a file) or single debits (by end-to-end id): each rejected debit still sent is
        marked rejected with its reason (see ``rental.sdd.debit._register_reject``), which
        leaves its rent calls open for dunning and the next collection. A debit already
        rejected is left alone (a report imported twice changes nothing); one settled or
        returned meanwhile is reported, not changed. Acceptances are noted on the runs.

        Raises :class:`UserError` (nothing applied) when the report is about another kind
        of file or about nothing this database sent. Returns the figures: ``transactions``
        (statuses read), ``rejected`` (debits rejected now), ``already`` (rejected
        before), ``not_open`` (settled or returned, left alone), ``unknown`` (end-to-end
        ids of no debit here) and ``runs`` (the collections concerned).
        """
        if not report.is_direct_debit_report:
            raise UserError(_(
                "This status report is about a %(message)s file, not a direct debit file "
                "(pain.008): nothing was applied.", message=report.original_message_name))
        Debit = self.env["rental.sdd.debit"]
        targets, unknown, runs = self._rental_report_rejections(report)
        if not runs:
            raise UserError(_(
                "This status report is about file %(message)s, which is no direct debit "
                "collection of this database: nothing was applied.",
                message=report.original_message_id))
        todo = [debit for debit in targets if debit.state == "sent"]
        already = [debit for debit in targets if debit.state == "rejected"]
        not_open = [debit for debit in targets if debit.state not in ("sent", "rejected")]
        reference = report.message_id or report.original_message_id
        by_reason = defaultdict(list)
        for debit in todo:
            by_reason[(targets[debit].code, targets[debit].text)].append(debit.id)
        for (code, text), ids in by_reason.items():
            Debit.browse(ids)._register_reject(code, text, reference)
        for debit in not_open:
            debit.message_post(body=_(
                "Status report %(report)s says this debit was rejected (%(code)s), but it "
                "is %(state)s here: left as it is, check with the bank.",
                report=reference, code=targets[debit].code or "?",
                state=dict(debit._fields["state"]._description_selection(self.env))[
                    debit.state],
            ))
        summary = _(
            "Status report %(report)s of file %(message)s (%(status)s): %(rejected)s "
            "debits rejected, %(already)s already rejected, %(other)s settled or returned "
            "meanwhile, %(unknown)s unknown.",
            report=reference, message=report.original_message_id,
            status=report.group_status or _("per debit"), rejected=len(todo),
            already=len(already), other=len(not_open), unknown=len(unknown),
        )
        for run in runs:
            run.message_post(body=summary)
        return {
            "transactions": sum(len(info.transactions) for info in report.payment_infos),
            "rejected": len(todo),
            "already": len(already),
            "not_open": len(not_open),
            "unknown": unknown,
            "runs": runs,
            "summary": summary,
        }

    @api.model
    def _rental_report_rejections(self, report):
        """``(targets, unknown, runs)``: ``{debit: reason}`` of every debit the report
        rejects (the whole file, a payment information block or the debit itself; the
        most precise reason given), the end-to-end ids of no debit here, and the runs
        concerned."""
        Debit = self.env["rental.sdd.debit"]
        message_debits, message_run = self._rental_report_message_debits(report)
        targets = {}

        def reject(debits, *reasons):
            reason = next((r for r in reasons if r.code), StatusReason())
            for debit in debits:
                targets.setdefault(debit, reason)

        # the most precise first: a debit named in the report keeps its own reason
        rejected = report.rejected_transactions()
        found = Debit.search([
            ("end_to_end_id", "in", [tx.end_to_end_id for tx in rejected]),
            ("company_id", "in", self.env.companies.ids),
        ]) if rejected else Debit
        by_e2e = {debit.end_to_end_id: debit for debit in found}
        unknown = []
        for info in report.payment_infos:
            for tx in info.transactions:
                if tx.status != REJECTED or not tx.end_to_end_id:
                    continue
                if tx.end_to_end_id in by_e2e:
                    reject(by_e2e[tx.end_to_end_id], tx.reason, info.reason,
                           report.group_reason)
                else:
                    unknown.append(tx.end_to_end_id)
        if report.rejected_payment_infos():
            by_info = self._rental_report_payment_infos(report, message_debits)
            for info in report.rejected_payment_infos():
                reject(by_info.get(info.payment_info_id, Debit), info.reason,
                       report.group_reason)
        if report.file_rejected:
            reject(message_debits, report.group_reason)
        runs = message_run | found.collection_id | message_debits.collection_id
        return targets, unknown, runs

    @api.model
    def _rental_report_message_debits(self, report):
        """The debits that went into the file the report is about (empty when the file is
        not one of this database's), and its run."""
        wanted = report.original_message_id
        runs = self.search([("sepa_message_id", "ilike", wanted),
                            ("company_id", "in", self.env.companies.ids)])
        for run in runs:
            for scheme in ("CORE", "B2B"):
                if run._sepa_message_id(scheme) != wanted:
                    continue
                debits = run.debit_ids.filtered(
                    lambda d, scheme=scheme: (d.scheme or "CORE") == scheme
                    and d.sent_via == "file"
                    and d.state in ("sent", "settled", "returned", "rejected")
                )
                return debits, run
        return self.env["rental.sdd.debit"], self.browse()

    @api.model
    def _rental_report_payment_infos(self, report, debits):
        """``{PmtInfId: debits}`` of the file: one block per sequence type, in the order
        the pain.008 builder writes them."""
        by_type = defaultdict(lambda: self.env["rental.sdd.debit"])
        for debit in debits.filtered(lambda d: d.sequence_type in sepa.SEQUENCE_TYPES):
            by_type[debit.sequence_type] |= debit
        ordered = sorted(by_type, key=sepa.SEQUENCE_TYPES.index)
        return {
            sepa.payment_info_id(report.original_message_id, index): by_type[seq_type]
            for index, seq_type in enumerate(ordered, start=1)
        }
