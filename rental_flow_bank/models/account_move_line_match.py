from odoo import models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def reconcile(self):
        """Reconcile, or, while the matching engine reconciles a batch of bank lines
        (context key ``rental_reconcile_collector``, a list), note the ids to reconcile:
        the engine then reconciles all of them in one plan (see
        ``account.bank.statement.line._rental_reconcile_auto``)."""
        collector = self.env.context.get("rental_reconcile_collector")
        if collector is not None:
            collector.append(self.ids)
            return None
        return super().reconcile()
