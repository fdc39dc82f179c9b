from datetime import date
from unittest.mock import patch

from lxml import etree

from odoo import Command, fields
from odoo.tests import tagged

from odoo.addons.rental_flow.engines import sepa_schema

from .split_common import SplitTestCommon

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


@tagged("post_install", "-at_install")
class TestOwnerPayouts(SplitTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Payout = cls.env["rental.payout"]
        cls.vendor = cls.env["res.partner"].create({"name": "Plumber"})

    def setUp(self):
        super().setUp()
        self.lease = self.make_lease(start=date(2026, 1, 1), rent=900.0, charges=60.0)

    # ------------------------------------------------------------------ helpers

    def collect(self, lease=None, amount=960.0):
        lease = lease or self.lease
        call = self.issue(lease)
        self.pay(call, amount)
        return call

    def balance_row(self, owner, prop):
        rows = self.env["rental.owner.balance"]._balances(
            self.company, owner_ids=owner.ids, property_ids=prop.ids
        )
        empty = dict.fromkeys(("balance", "uncollected", "available", "bills_due"), 0.0)
        return rows[0] if rows else empty

    def payout_run(self, mandates=None, confirm=True, day=None):
        wizard = self.env["rental.payout.run.wizard"].create(
            {
                "date": day or fields.Date.today(),
                "mandate_ids": [Command.set((mandates or self.mandate).ids)],
                "confirm": confirm,
            }
        )
        action = wizard.action_create_run()
        return self.env["rental.payout.run"].browse(action["res_id"])

    def owner_bill(self, prop, amount, post=True, on_owner_account=True):
        bill = self.env["account.move"].create(
            {
                "move_type": "in_invoice",
                "partner_id": self.vendor.id,
                "invoice_date": date(2026, 1, 10),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Repair",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                            "rental_property_id": prop.id,
                            **({"account_id": self.owner_account.id} if on_owner_account else {}),
                        }
                    )
                ],
            }
        )
        if post:
            bill.action_post()
        return bill

    def sepa_xml(self, run):
        raw = run.sepa_attachment_id.raw
        sepa_schema.validate_document(raw, "pain.001.001.09")
        return etree.fromstring(raw)

    # ------------------------------------------------------------------ balances

    def test_available_balance(self):
        call = self.issue(self.lease)
        row = self.balance_row(self.owner, self.unit)
        self.assertAlmostEqual(row["balance"], 960.0)
        self.assertAlmostEqual(row["uncollected"], 960.0)
        self.assertAlmostEqual(row["available"], 0.0, msg="called is not collected")
        self.pay(call, 500.0)
        row = self.balance_row(self.owner, self.unit)
        self.assertAlmostEqual(row["uncollected"], 460.0)
        self.assertAlmostEqual(row["available"], 448.0)
        self.pay(call, 460.0)
        self.assertAlmostEqual(self.balance_row(self.owner, self.unit)["available"], 860.16)
        self.unit.reserve_amount = 100.0
        self.assertAlmostEqual(self.balance_row(self.owner, self.unit)["available"], 760.16)
        # Works entered for the property and not paid hold the money back.
        self.owner_bill(self.unit, 50.0, post=False)
        row = self.balance_row(self.owner, self.unit)
        self.assertAlmostEqual(row["bills_due"], 50.0)
        self.assertAlmostEqual(row["available"], 710.16)
        # Shown on the property and the mandate.
        self.unit.invalidate_recordset(["available_amount"])
        self.assertAlmostEqual(self.unit.available_amount, 710.16)
        self.assertAlmostEqual(self.mandate.available_amount, 710.16)

    def test_deposits_are_never_available(self):
        lease = self.make_lease(unit=self.unit2, start=date(2026, 1, 1), deposit=900.0)
        lease.action_issue_deposit_call()
        self.pay(self.calls(lease, kind="deposit"), 900.0)
        call = self.collect(lease)
        self.assertTrue(call)
        row = self.balance_row(self.owner, self.unit2)
        self.assertAlmostEqual(row["deposits_held"], 900.0)
        self.assertAlmostEqual(row["available"], 860.16)

    def test_bill_booked_on_the_owner_account_belongs_to_the_owner(self):
        bill = self.owner_bill(self.unit2, 200.0)
        line = bill.invoice_line_ids
        self.assertEqual(line.rental_owner_id, self.owner)
        row = self.balance_row(self.owner, self.unit2)
        self.assertAlmostEqual(row["balance"], -200.0)
        self.assertAlmostEqual(row["bills_due"], 0.0, msg="already on the owner's account")

    # ------------------------------------------------------------------ payout run

    def test_payout_run_pays_and_writes_the_sepa_file(self):
        owner2, __ = self.new_owner("Owner Without Bank", iban=None)
        mandate2 = self.new_mandate(owner2, self.env["res.partner.bank"])
        unit3 = self.new_unit("Flat 3", mandate2)
        lease2 = self.make_lease(unit=unit3, start=date(2026, 1, 1))
        self.collect()
        self.collect(lease2)
        run = self.payout_run(self.mandate | mandate2)
        self.assertEqual(run.state, "confirmed")
        paid = run.payout_ids.filtered(lambda p: p.owner_id == self.owner)
        blocked = run.payout_ids.filtered(lambda p: p.owner_id == owner2)
        self.assertEqual(paid.state, "sent")
        self.assertAlmostEqual(paid.amount, 860.16)
        self.assertEqual(blocked.state, "blocked")
        self.assertIn("No bank account", blocked.block_reason)
        self.assertFalse(blocked.payment_id)
        # The payment: owner's account (with the property) against the mandant bank.
        payment = paid.payment_id
        self.assertEqual(payment.state, "in_process")
        self.assertEqual(payment.journal_id, self.bank_journal)
        self.assertEqual(payment.partner_id, self.owner)
        self.assertEqual(payment.partner_bank_id, self.owner_bank)
        self.assertEqual(payment.destination_account_id, self.owner_account)
        owner_line = payment.move_id.line_ids.filtered(
            lambda line: line.account_id == self.owner_account
        )
        self.assertEqual(owner_line.rental_property_id, self.unit)
        self.assertEqual(owner_line.partner_id, self.owner)
        self.assertAlmostEqual(owner_line.debit, 860.16)
        self.assertAlmostEqual(self.balance_row(self.owner, self.unit)["available"], 0.0)
        # The SEPA file: XSD-valid, one transfer, the owner's details.
        xml = self.sepa_xml(run)
        self.assertEqual(xml.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS), "1")
        self.assertEqual(xml.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS), "860.16")
        tx = xml.find(".//p:CdtTrfTxInf", namespaces=NS)
        self.assertEqual(tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS), paid.end_to_end_id)
        self.assertEqual(tx.findtext("p:Cdtr/p:Nm", namespaces=NS), "Owner One")
        self.assertEqual(tx.findtext("p:Cdtr/p:PstlAdr/p:StrtNm", namespaces=NS), "rue des Lilas")
        self.assertEqual(tx.findtext("p:Cdtr/p:PstlAdr/p:BldgNb", namespaces=NS), "12 bis")
        self.assertEqual(tx.findtext("p:Cdtr/p:PstlAdr/p:TwnNm", namespaces=NS), "Lyon")
        self.assertEqual(tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS),
                         "FR7630004008200000000100080")
        self.assertEqual(xml.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS),
                         "FR7617338000010000000010067")
        # Nothing left to pay: a second run pays nobody again.
        again = self.payout_run()
        self.assertFalse(again.payout_ids)

    def test_end_to_end_ids_are_unique(self):
        owner2, bank2 = self.new_owner("Owner Two")
        mandate2 = self.new_mandate(owner2, bank2)
        lease2 = self.make_lease(unit=self.new_unit("Flat 3", mandate2), start=date(2026, 1, 1))
        self.collect()
        self.collect(lease2)
        run = self.payout_run(self.mandate | mandate2)
        ids = run.payout_ids.mapped("end_to_end_id")
        self.assertEqual(len(ids), 2)
        self.assertEqual(len(set(ids)), 2)
        self.assertTrue(all(len(i) <= 35 for i in ids))
        xml = self.sepa_xml(run)
        self.assertEqual(
            sorted(xml.xpath("//p:EndToEndId/text()", namespaces=NS)), sorted(ids)
        )

    def test_sepa_refusal_blocks_one_owner_and_the_others_proceed(self):
        owner2, bank2 = self.new_owner("Owner Two")
        bank2.acc_holder_name = "X" * 80  # longer than a SEPA name
        mandate2 = self.new_mandate(owner2, bank2)
        lease2 = self.make_lease(unit=self.new_unit("Flat 3", mandate2), start=date(2026, 1, 1))
        self.collect()
        self.collect(lease2)
        run = self.payout_run(self.mandate | mandate2)
        blocked = run.payout_ids.filtered(lambda p: p.owner_id == owner2)
        self.assertEqual(blocked.state, "blocked")
        self.assertIn("longer than 70", blocked.block_reason)
        self.assertFalse(blocked.payment_id)
        self.assertEqual(run.payout_ids.filtered(lambda p: p.owner_id == self.owner).state, "sent")
        self.assertEqual(self.sepa_xml(run).findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS), "1")
        # The blocked owner keeps his money (his mandate has no insurance).
        self.assertAlmostEqual(self.balance_row(owner2, lease2.property_id)["available"], 879.36)

    def test_minimum_hold_and_negative_balances(self):
        self.collect()
        self.mandate.payout_min_amount = 1000.0
        run = self.payout_run(confirm=False)
        self.assertEqual(run.payout_ids.state, "held")
        self.assertIn("below the minimum", run.payout_ids.block_reason)
        run.action_cancel()
        self.mandate.write({"payout_min_amount": 0.0, "payout_hold": True})
        run = self.payout_run(confirm=False)
        self.assertEqual(run.payout_ids.state, "held")
        self.assertIn("on hold", run.payout_ids.block_reason)
        run.action_cancel()
        self.mandate.payout_hold = False
        self.unit.payout_hold = True
        run = self.payout_run(confirm=False)
        self.assertEqual(run.payout_ids.state, "held")
        self.assertIn("Flat 1 is on hold", run.payout_ids.block_reason)
        run.action_cancel()
        self.unit.payout_hold = False
        # A negative balance pays nothing.
        self.owner_bill(self.unit, 1000.0)
        self.assertLess(self.balance_row(self.owner, self.unit)["available"], 0)
        run = self.payout_run()
        self.assertFalse(run.payout_ids)

    def test_negative_property_is_netted_only_when_the_mandate_allows_it(self):
        self.collect()
        self.owner_bill(self.unit2, 200.0)
        run = self.payout_run()
        self.assertAlmostEqual(run.payout_ids.amount, 860.16)
        self.assertEqual(run.payout_ids.line_ids.property_id, self.unit)
        # Money comes in again; now the mandate nets the properties.
        self.mandate.allow_cross_property = True
        call = self.issue(self.lease, until=date(2026, 2, 1))[1]
        self.pay(call, 960.0, day=date(2026, 2, 5))
        run = self.payout_run()
        payout = run.payout_ids
        self.assertAlmostEqual(payout.amount, 660.16)
        amounts = {line.property_id: line.amount for line in payout.line_ids}
        self.assertAlmostEqual(amounts[self.unit], 860.16)
        self.assertAlmostEqual(amounts[self.unit2], -200.0)
        move_lines = payout.payment_id.move_id.line_ids.filtered(
            lambda line: line.account_id == self.owner_account
        )
        self.assertAlmostEqual(
            move_lines.filtered(lambda line: line.rental_property_id == self.unit2).credit, 200.0
        )
        self.assertAlmostEqual(self.balance_row(self.owner, self.unit2)["available"], 0.0)
        self.sepa_xml(run)

    def test_negative_owner_is_never_covered_by_another_owner(self):
        owner2, bank2 = self.new_owner("Owner Two")
        mandate2 = self.new_mandate(owner2, bank2, allow_cross_property=True)
        unit3 = self.new_unit("Flat 3", mandate2)
        self.collect()
        self.owner_bill(unit3, 300.0)
        run = self.payout_run(self.mandate | mandate2)
        self.assertEqual(run.payout_ids.owner_id, self.owner)
        self.assertAlmostEqual(run.payout_ids.amount, 860.16)

    def test_joint_owners_are_paid_their_share(self):
        co_owner, co_bank = self.new_owner("Joint Owner")
        co_owner_no_bank, __ = self.new_owner("Joint Owner Without Bank", iban=None)
        self.unit.owner_line_ids = [
            Command.create({"partner_id": self.owner.id, "share": 50.0, "is_principal": True}),
            Command.create({"partner_id": co_owner.id, "share": 25.0}),
            Command.create({"partner_id": co_owner_no_bank.id, "share": 25.0}),
        ]
        self.collect()
        run = self.payout_run()
        by_owner = {payout.owner_id: payout for payout in run.payout_ids}
        self.assertAlmostEqual(by_owner[self.owner].amount, 430.08)
        self.assertAlmostEqual(by_owner[co_owner].amount, 215.04)
        self.assertEqual(by_owner[co_owner].bank_id, co_bank)
        self.assertEqual(by_owner[co_owner].state, "sent")
        self.assertEqual(by_owner[co_owner_no_bank].state, "blocked")

    # ------------------------------------------------------------------ paid by the bank

    def statement_line(self, amount, reference, **values):
        return self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.bank_journal.id,
                "date": date(2026, 1, 12),
                "amount": amount,
                "payment_ref": "Virement proprietaire",
                "rental_end_to_end_id": reference,
                **values,
            }
        )

    def test_payout_is_paid_when_the_bank_shows_the_debit(self):
        self.collect()
        run = self.payout_run()
        payout = run.payout_ids
        wrong = self.statement_line(-800.0, payout.end_to_end_id)
        self.assertEqual(payout.state, "sent", "a different amount does not pay it")
        self.assertFalse(wrong.is_reconciled)
        line = self.statement_line(-860.16, False)
        line.rental_end_to_end_id = payout.end_to_end_id
        self.assertEqual(payout.state, "paid")
        self.assertEqual(payout.statement_line_id, line)
        self.assertTrue(line.is_reconciled)
        self.assertEqual(payout.payment_id.state, "paid")
        self.assertTrue(payout.payment_id.is_matched)
        self.assertEqual(run.state, "done")

    def test_returned_payout_credits_the_owner_back(self):
        self.collect()
        payout = self.payout_run().payout_ids
        self.statement_line(-860.16, payout.end_to_end_id)
        self.assertEqual(payout.state, "paid")
        self.assertAlmostEqual(self.balance_row(self.owner, self.unit).get("available", 0), 0.0)
        returned = self.statement_line(860.16, payout.end_to_end_id, date=date(2026, 1, 15))
        self.assertEqual(payout.state, "returned")
        self.assertTrue(returned.is_reconciled)
        self.assertAlmostEqual(self.balance_row(self.owner, self.unit)["available"], 860.16)

    # ------------------------------------------------------------------ automatic runs

    def test_cron_runs_on_the_payout_day_once_a_month(self):
        self.collect()
        today = fields.Date.today()
        self.mandate.payout_day = min(today.day, 28)
        Run = self.env["rental.payout.run"]
        other_mandates = self.env["rental.mandate"].search([("id", "!=", self.mandate.id)])
        other_mandates.write({"payout_last_date": today})
        runs = Run._cron_payout_runs()
        self.assertEqual(len(runs), 1)
        self.assertEqual(runs.origin, "cron")
        self.assertEqual(runs.state, "confirmed")
        self.assertAlmostEqual(runs.amount_total, 860.16)
        self.assertEqual(self.mandate.payout_last_date, today)
        self.assertFalse(Run._cron_payout_runs(), "once per month")

    def test_connector_hook(self):
        self.collect()
        Payout = type(self.Payout)
        with patch.object(Payout, "_send_through_connector", lambda payout: True):
            run = self.payout_run()
        payout = run.payout_ids
        self.assertEqual(payout.state, "sent")
        self.assertEqual(payout.sent_via, "connector")
        self.assertTrue(payout.payment_id)
        self.assertFalse(run.sepa_attachment_id, "nothing left for a file")

    def test_immediate_payout_needs_a_connector(self):
        self.mandate.payout_immediate = True
        Run = self.env["rental.payout.run"]
        self.collect()
        self.assertFalse(Run.search([("origin", "=", "immediate")]), "no connector: it waits")
        self.assertAlmostEqual(self.balance_row(self.owner, self.unit)["available"], 860.16)
        Payout = type(self.Payout)
        with patch.object(Payout, "_send_through_connector", lambda payout: True):
            call = self.issue(self.lease, until=date(2026, 2, 1))[1]
            self.pay(call, 960.0, day=date(2026, 2, 5))
        run = Run.search([("origin", "=", "immediate")])
        self.assertEqual(len(run), 1)
        self.assertEqual(run.payout_ids.sent_via, "connector")
        self.assertAlmostEqual(run.payout_ids.amount, 2 * 860.16)
        self.assertAlmostEqual(self.balance_row(self.owner, self.unit)["available"], 0.0)
