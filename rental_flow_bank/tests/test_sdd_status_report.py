"""Payment status reports (pain.002) dropped where statements are imported: the debits
the bank rejected before collecting them."""

import base64
from datetime import date

from odoo.tests import tagged
from odoo.tools import SQL

from .common_sdd import NS, SddCommon
from .pain002_builder import pain002


@tagged("post_install", "-at_install")
class TestSddStatusReport(SddCommon):
    def setUp(self):
        super().setUp()
        self.lease = self.dd_lease()
        self.jan, self.feb = self.calls(self.lease)
        second_mandate = self.make_mandate(self.tenant2, self.tenant2_bank)
        self.lease2 = self.dd_lease(unit=self.flats[1], tenant=self.tenant2)
        self.assertEqual(second_mandate.state, "valid")
        self.run = self.collect(date(2026, 2, 10))
        self.debit, self.debit2 = self.run.debit_ids.sorted(lambda d: d.lease_id.id)
        self.assertEqual(self.run.debit_ids.mapped("state"), ["sent", "sent"])
        self.assertEqual(self.debit.sequence_type, "FRST")
        self.message_id = self.pain008(self.run).findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:MsgId",
                                                          namespaces=NS)
        self.info_id = self.pain008(self.run).findtext(
            "p:CstmrDrctDbtInitn/p:PmtInf/p:PmtInfId", namespaces=NS)

    def report(self, **kwargs):
        data = pain002(self.message_id, **kwargs)
        return self.env["rental.bank.import"]._import_file(data, "pain002.xml")

    def pending_ids(self):
        self.env.flush_all()
        calls = self.run.debit_ids.move_ids
        self.env.cr.execute(SQL("SELECT m.id FROM account_move m WHERE m.id IN %s AND %s",
                                tuple(calls.ids),
                                self.env["account.move"]._rental_payment_pending_sql("m")))
        return {row[0] for row in self.env.cr.fetchall()}

    def test_one_debit_rejected_insufficient_funds(self):
        log = self.report(group_status="PART", payment_infos=[(self.info_id, "PART", None, [
            (self.debit.end_to_end_id, "RJCT", ("AM04", "Provision insuffisante")),
            (self.debit2.end_to_end_id, "ACCP", None),
        ])])
        self.assertEqual(log.state, "done", log.error)
        self.assertEqual(log.file_format, "pain.002.001.03")
        self.assertTrue(log.attachment_id, "the report is kept with its log")
        self.assertEqual((self.debit.state, self.debit2.state), ("rejected", "sent"))
        self.assertEqual(self.debit.return_code, "AM04")
        self.assertIn("Insufficient funds", self.debit.return_text)
        self.assertIn("Provision insuffisante", self.debit.return_text)
        # nothing was collected: the calls are no longer waiting for the debit, dunning
        # and the next collection take them
        self.assertEqual(self.pending_ids(), set(self.debit2.move_ids.ids))
        self.assertEqual((self.jan | self.feb).mapped("payment_state"), ["not_paid"] * 2)
        if "rental.dunning.collector" in self.env:
            items = self.env["rental.dunning.collector"]._open_items(
                self.company, date(2026, 12, 31), [self.lease.id])
            self.assertEqual(len(items[self.lease.id]), 2, "rejected calls are chased")
        # the mandate stays valid; its first collection failed: FRST again next time
        self.assertEqual(self.sdd_mandate.state, "valid")
        self.assertEqual(self.sdd_mandate.last_return_code, "AM04")
        run = self.collect(date(2026, 3, 10))
        new = run.debit_ids.filtered(lambda d: d.lease_id == self.lease)
        self.assertEqual(new.move_ids, self.jan | self.feb)
        self.assertEqual(new.sequence_type, "FRST")
        # told: the lease's manager has an activity, the run is partly returned
        activity = self.lease.activity_ids.filtered(
            lambda a: a.summary == "Rejected direct debit")
        self.assertEqual(len(activity), 1)
        self.assertEqual(self.run.state, "partly_returned")
        self.assertEqual(self.run.returned_count, 1)
        self.assertIn("1 debits rejected", self.run.message_ids[0].body)

    def test_import_wizard_takes_status_reports(self):
        data = pain002(self.message_id, payment_infos=[(self.info_id, "PART", None, [
            (self.debit2.end_to_end_id, "RJCT", "MS02")])])
        wizard = self.env["rental.bank.import.wizard"].create(
            {"data_file": base64.b64encode(data), "filename": "pain002.xml"})
        self.assertEqual(wizard.detected_format,
                         "Direct debit status report (pain.002.001.03)")
        log = self.env["rental.bank.import"].browse(wizard.action_import()["res_id"])
        self.assertEqual(log.state, "done", log.error)
        self.assertEqual(self.debit2.state, "rejected")
        self.assertIn("1 debits rejected", log.message_ids[0].body)

    def test_same_report_twice_changes_nothing(self):
        kwargs = {"payment_infos": [(self.info_id, None, None, [
            (self.debit.end_to_end_id, "RJCT", "MS02")])]}
        self.assertEqual(self.report(**kwargs).state, "done")
        messages = len(self.debit.message_ids)
        again = self.report(**kwargs)
        self.assertEqual(again.state, "nothing_new")
        self.assertEqual(self.debit.state, "rejected")
        self.assertEqual(len(self.debit.message_ids), messages)
        self.assertEqual(len(self.lease.activity_ids.filtered(
            lambda a: a.summary == "Rejected direct debit")), 1)

    def test_account_closed_revokes_the_mandate(self):
        self.report(payment_infos=[(self.info_id, "PART", None, [
            (self.debit.end_to_end_id, "RJCT", "AC04")])])
        self.assertEqual(self.debit.state, "rejected")
        self.assertEqual(self.sdd_mandate.state, "revoked")
        self.assertIn("rejected", self.sdd_mandate.revoke_reason)
        run = self.collect(date(2026, 3, 10), generate=False)
        self.assertEqual(
            run.debit_ids.filtered(lambda d: d.lease_id == self.lease).state, "skipped")

    def test_payment_information_block_rejected(self):
        log = self.report(group_status="RJCT", payment_infos=[
            (self.info_id, "RJCT", "MD01", [])])
        self.assertEqual(log.state, "done", log.error)
        self.assertEqual(self.run.debit_ids.mapped("state"), ["rejected", "rejected"])
        self.assertEqual(self.run.debit_ids.mapped("return_code"), ["MD01", "MD01"])

    def test_whole_file_rejected_and_debit_reason_kept(self):
        self.report(group_status="RJCT", group_reason="FF01", payment_infos=[
            (self.info_id, "RJCT", None, [(self.debit2.end_to_end_id, "RJCT", "AC01")])])
        self.assertEqual(self.debit.return_code, "FF01")
        self.assertEqual(self.debit2.return_code, "AC01", "the most precise reason")

    def test_accepted_file_changes_nothing(self):
        log = self.report(group_status="ACCP")
        self.assertEqual(log.state, "nothing_new")
        self.assertEqual(self.run.debit_ids.mapped("state"), ["sent", "sent"])
        self.assertIn("ACCP", self.run.message_ids[0].body)

    def test_settled_debit_is_left_alone(self):
        self.import_entries([self.credit(self.debit, "SDD-CR-1")], stmt_id="SDD-S1")
        self.assertEqual(self.debit.state, "settled")
        self.report(payment_infos=[(self.info_id, None, None, [
            (self.debit.end_to_end_id, "RJCT", "AM04")])])
        self.assertEqual(self.debit.state, "settled")
        self.assertIn("left as it is", self.debit.message_ids[0].body)

    def test_bad_reports_are_refused_and_change_nothing(self):
        Import = self.env["rental.bank.import"]
        for data, message in (
            (pain002("NOT-OURS", group_status="RJCT"), "no direct debit collection"),
            (pain002(self.message_id, group_status="RJCT",
                     original_message_name="pain.001.001.09"), "not a direct debit file"),
            (pain002(self.message_id, group_status="RJCT")[:-30], "malformed or truncated"),
        ):
            log = Import._import_file(data, "bad.xml")
            self.assertEqual(log.state, "failed")
            self.assertIn(message, log.error)
            self.assertTrue(log.attachment_id, "the refused file is kept for audit")
        self.assertEqual(self.run.debit_ids.mapped("state"), ["sent", "sent"])
        self.assertEqual(self.sdd_mandate.state, "valid")
