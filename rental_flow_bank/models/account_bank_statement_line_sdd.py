import logging

from odoo import _, models

from ..engines.statement_types import FLAG_RETURN
from .bank_import_writer import import_savepoint

_logger = logging.getLogger(__name__)


class AccountBankStatementLine(models.Model):
    """Direct debit settlements and returns, recognised by their end-to-end id."""

    _inherit = "account.bank.statement.line"

    def _rental_after_import(self):
        """Settle or return the direct debits these lines carry; match the others.

        Incoming lines whose end-to-end id is a sent debit are reconciled with its rent
        calls; R-transactions (outgoing lines, or lines flagged as returns) with the
        original end-to-end id of a debit reopen them. Each debit is handled in its own
        savepoint: a failure is logged and leaves its line to the matching.
        """
        handled = self._rental_sdd_process()
        return super(AccountBankStatementLine, self - handled)._rental_after_import()

    def _rental_sdd_is_return(self):
        self.ensure_one()
        return self.amount < 0 or FLAG_RETURN in (self.rental_import_flags or "").split(", ")

    def _rental_sdd_process(self):
        """Handle the lines of direct debits; return the lines handled."""
        handled = self.browse()
        candidates = self.filtered(
            lambda line: line.rental_end_to_end_id or line.rental_original_end_to_end_id
        )
        if not candidates:
            return handled
        keys = set(candidates.mapped("rental_end_to_end_id")) | set(
            candidates.mapped("rental_original_end_to_end_id")
        )
        keys.discard(False)
        debits = self.env["rental.sdd.debit"].sudo().search(
            [("end_to_end_id", "in", list(keys)),
             ("state", "in", ("sent", "settled"))]
        )
        if not debits:
            return handled
        by_e2e = {debit.end_to_end_id: debit for debit in debits}
        work = []
        for line in candidates:
            is_return = line._rental_sdd_is_return()
            key = (line.rental_original_end_to_end_id or line.rental_end_to_end_id
                   if is_return else line.rental_end_to_end_id)
            debit = by_e2e.get(key)
            if debit and debit.company_id == line.company_id:
                work.append((is_return, line.id, line, debit))
        # Credits first, all together (one debit once: a second credit goes to the
        # matching), then line by line what is left: a return in the same import then
        # finds its settlement.
        credits, seen = [], set()
        for is_return, __, line, debit in sorted(work, key=lambda item: item[:2]):
            if (not is_return and debit.state == "sent" and not line.is_reconciled
                    and debit not in seen):
                credits.append((line, debit))
                seen.add(debit)
        examined = set()
        if len(credits) > 1:
            try:
                with import_savepoint(self.env):
                    handled |= self.env["rental.sdd.debit"].sudo()._settle_many(credits)
                examined = {line for line, __ in credits}
            except Exception:  # noqa: BLE001 -- settled line by line below
                self.env.transaction.clear()
                _logger.warning("Batch settlement of direct debits failed; settling line "
                                "by line", exc_info=True)
        for is_return, __, line, debit in sorted(work, key=lambda item: item[:2]):
            if line.is_reconciled or line in examined:
                continue
            try:
                with import_savepoint(self.env):
                    if is_return:
                        if debit.state not in ("sent", "settled"):
                            continue
                        done = debit._register_return(
                            line, line.rental_return_reason_code,
                            (line.transaction_details or {}).get("return_reason_info"),
                        )
                    else:
                        if debit.state != "sent":
                            continue
                        done = debit._settle(line)
            except Exception:
                _logger.exception("Direct debit %s: bank line %s not processed.",
                                  debit.end_to_end_id, line.id)
                debit.message_post(body=_(
                    "Bank line %(line)s could not be processed automatically: see the "
                    "server log.", line=line.display_name,
                ))
                continue
            if done:
                handled |= line
        debits.collection_id._update_state()
        return handled
