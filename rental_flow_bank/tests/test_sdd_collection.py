"""Direct debit collection runs: what is collected, what is skipped and why, the
FRST / RCUR / OOFF sequence and the pain.008.001.08 file."""

import unittest
from datetime import date
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.rental_flow.engines import sepa

from .common_sdd import CREDITOR_ID, NS, OTHER_CREDITOR_ID, SddCommon


@tagged("post_install", "-at_install")
class TestSddCollection(SddCommon):
    def test_collection_file_parsed_back(self):
        lease = self.dd_lease()
        jan, feb = self.calls(lease)
        run = self.collect(date(2026, 2, 10))
        self.assertEqual(run.state, "generated")
        debit = run.debit_ids
        self.assertEqual(len(debit), 1, "one debit per lease, both rent calls in it")
        self.assertEqual(debit.move_ids, jan | feb)
        self.assertEqual(debit.amount, 1920.0)
        self.assertEqual(debit.state, "sent")
        self.assertEqual(debit.sequence_type, "FRST")
        xml = run.attachment_ids.raw
        sepa.validate_document(xml, "pain.008.001.08")  # raises when not valid
        root = self.pain008(run)
        self.assertEqual(root.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS), "1")
        self.assertEqual(root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS), "1920.00")
        tx = root.find(".//p:DrctDbtTxInf", NS)
        self.assertEqual(tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS), debit.end_to_end_id)
        self.assertEqual(tx.findtext("p:InstdAmt", namespaces=NS), "1920.00")
        self.assertEqual(tx.findtext(".//p:MndtId", namespaces=NS), self.sdd_mandate.name)
        self.assertEqual(tx.findtext(".//p:DtOfSgntr", namespaces=NS), "2025-11-01")
        self.assertEqual(tx.findtext(".//p:AmdmntInd", namespaces=NS), "false")
        self.assertEqual(tx.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS),
                         "FR1420041010050500013M02606")
        self.assertEqual(root.findtext(".//p:PmtTpInf/p:SeqTp", namespaces=NS), "FRST")
        self.assertEqual(root.findtext(".//p:PmtTpInf/p:LclInstrm/p:Cd", namespaces=NS),
                         "CORE")
        self.assertEqual(root.findtext(".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id",
                                      namespaces=NS), CREDITOR_ID)
        # the mandate is now used: RCUR next time
        self.assertTrue(self.sdd_mandate.first_collection_done)
        self.assertEqual(self.sdd_mandate.last_collection_date, date(2026, 2, 10))
        self.assertIn("1 direct debits sent", run.message_ids[0].body)

    def test_first_then_recurrent_and_not_collected_twice(self):
        lease = self.dd_lease()
        jan, feb = self.calls(lease)
        first = self.collect(date(2026, 1, 10))
        self.assertEqual(first.debit_ids.move_ids, jan, "February is not due yet")
        self.assertEqual(first.debit_ids.sequence_type, "FRST")
        second = self.collect(date(2026, 2, 10))
        self.assertEqual(second.debit_ids.move_ids, feb, "January is in the open first run")
        self.assertEqual(second.debit_ids.sequence_type, "RCUR")
        root = self.pain008(second)
        self.assertEqual(root.findtext(".//p:PmtTpInf/p:SeqTp", namespaces=NS), "RCUR")
        self.assertNotEqual(first.debit_ids.end_to_end_id, second.debit_ids.end_to_end_id)

    def test_one_off_mandate(self):
        self.sdd_mandate.mandate_type = "oneoff"
        first_lease = self.dd_lease()
        second_lease = self.dd_lease(unit=self.flats[1])
        run = self.collect(date(2026, 1, 10))
        sent = run.debit_ids.filtered(lambda d: d.state == "sent")
        self.assertEqual(sent.sequence_type, "OOFF")
        self.assertIn(sent.lease_id, first_lease | second_lease)
        other = run.debit_ids - sent
        self.assertEqual(other.state, "skipped")
        self.assertIn("already used in this run", other.reason)
        self.assertEqual(self.pain008(run).findtext(".//p:SeqTp", namespaces=NS), "OOFF")
        later = self.collect(date(2026, 2, 10), generate=False)
        self.assertEqual(set(later.debit_ids.mapped("state")), {"skipped"})
        self.assertIn("already used", later.debit_ids[0].reason)

    def test_amount_is_the_residual(self):
        lease = self.dd_lease()
        jan, __ = self.calls(lease)
        self.pay(jan, 500.0)
        run = self.collect(date(2026, 1, 10))
        self.assertEqual(run.debit_ids.amount, 460.0)
        self.pay(jan, 460.0)
        self.assertEqual(jan.payment_state, "paid")

    def test_pre_notification_postpones_late_rent_calls(self):
        lease = self.make_lease(unit=self.flats[0], payment_mode="direct_debit")
        lease._issue_rent_calls(until=date(2026, 1, 1), invoice_date=date(2025, 12, 20))
        lease._issue_rent_calls(until=date(2026, 2, 1), invoice_date=date(2026, 2, 1))
        jan, feb = self.calls(lease)
        run = self.collect(date(2026, 2, 10))
        debit = run.debit_ids
        self.assertEqual(debit.move_ids, jan, "February was issued 9 days before")
        self.assertIn("pre-notification of 14 days not met", debit.reason)
        self.company.rental_sdd_prenotification_days = 5
        later = self.collect(date(2026, 2, 10))
        self.assertEqual(later.debit_ids.move_ids, feb)
        self.company.rental_sdd_prenotification_days = 14
        lease2 = self.make_lease(unit=self.flats[1], payment_mode="direct_debit")
        lease2._issue_rent_calls(until=date(2026, 1, 1), invoice_date=date(2026, 2, 5))
        run = self.collect(date(2026, 2, 10), generate=False)
        postponed = run.debit_ids.filtered(lambda d: d.lease_id == lease2)
        self.assertEqual(postponed.state, "postponed")
        self.assertFalse(postponed.end_to_end_id)
        self.assertIn("collected from", postponed.reason)

    def test_skip_reasons_and_the_rest_proceeds(self):
        ok = self.dd_lease()
        disputed = self.dd_lease(unit=self.flats[1], litigation_state="dispute")
        no_mandate = self.dd_lease(unit=self.flats[2], tenant=self.tenant2)
        tenant3 = self.env["res.partner"].create({"name": "Tenant Three"})
        bank3 = self.env["res.partner.bank"].create(
            {"partner_id": tenant3.id, "acc_number": "FR4920041010050500014M02676"})
        revoked = self.make_mandate(tenant3, bank3)
        lease_revoked = self.dd_lease(unit=self.flats[3], tenant=tenant3)
        self.assertEqual(lease_revoked.sdd_mandate_id, revoked)
        revoked.action_revoke()
        tenant4 = self.env["res.partner"].create({"name": "Tenant Four"})
        bank4 = self.env["res.partner.bank"].create(
            {"partner_id": tenant4.id, "acc_number": "FR8420041010050500015M02649"})
        self.make_mandate(tenant4, bank4)
        bad_iban = self.dd_lease(unit=self.flats[4], tenant=tenant4)
        bank4.acc_number = "FR8420041010050500015M02600"  # broken after signature
        run = self.collect(date(2026, 2, 10))
        by_lease = {debit.lease_id: debit for debit in run.debit_ids}
        self.assertEqual(by_lease[ok].state, "sent")
        self.assertEqual(by_lease[disputed].state, "skipped")
        self.assertIn("dispute", by_lease[disputed].reason)
        self.assertIn("no direct debit mandate", by_lease[no_mandate].reason)
        self.assertIn("revoked", by_lease[lease_revoked].reason)
        self.assertIn("IBAN", by_lease[bad_iban].reason)
        self.assertEqual(run.debit_count, 1)
        self.assertEqual(run.skipped_count, 4)
        root = self.pain008(run)
        self.assertEqual(root.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS), "1")

    def test_payment_plan_skips_the_lease(self):
        if "rental.payment.plan" not in self.env:
            raise unittest.SkipTest("rental_flow_dunning is not installed")
        lease = self.dd_lease()
        plan = self.env["rental.payment.plan"].create({
            "lease_id": lease.id,
            "date_start": date(2026, 2, 1),
            "move_ids": [Command.set(self.calls(lease).ids)],
            "instalment_count": 2,
            "first_instalment_date": date(2026, 12, 5),
        })
        plan.action_compute_instalments()
        plan.action_activate()
        run = self.collect(date(2026, 2, 10), generate=False)
        self.assertEqual(run.debit_ids.state, "skipped")
        self.assertIn(plan.name, run.debit_ids.reason)

    def test_missing_creditor_id_is_a_run_error(self):
        self.dd_lease()
        self.company.rental_sdd_creditor_id = False
        with self.assertRaisesRegex(UserError, "creditor identifier"):
            self.collect(date(2026, 2, 10))
        # the cron skips the company without failing
        self.assertFalse(self.env["rental.sdd.collection"]._cron_collect())

    def test_migrated_mandate_sends_its_amendment_once(self):
        self.sdd_mandate.write({
            "amend_original_creditor_id": OTHER_CREDITOR_ID,
            "amend_original_creditor_name": "Old Agency",
            "first_collection_done": True,
        })
        self.dd_lease()
        run = self.collect(date(2026, 1, 10))
        self.assertTrue(run.debit_ids.amendment)
        root = self.pain008(run)
        self.assertEqual(root.findtext(".//p:SeqTp", namespaces=NS), "RCUR")
        self.assertEqual(root.findtext(".//p:AmdmntInd", namespaces=NS), "true")
        self.assertEqual(
            root.findtext(
                ".//p:AmdmntInfDtls/p:OrgnlCdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", namespaces=NS
            ),
            OTHER_CREDITOR_ID,
        )
        self.assertFalse(self.sdd_mandate.amend_original_creditor_id, "sent once, cleared")
        second = self.collect(date(2026, 2, 10))
        self.assertEqual(self.pain008(second).findtext(".//p:AmdmntInd", namespaces=NS),
                         "false")

    def test_wizard_and_cron(self):
        self.dd_lease()
        action = self.env["rental.sdd.collection.wizard"].create(
            {"collection_date": date(2026, 1, 10)}
        ).action_create()
        run = self.env["rental.sdd.collection"].browse(action["res_id"])
        self.assertEqual(run.state, "draft")
        self.assertEqual(run.debit_ids.state, "draft")
        run.action_cancel()
        self.assertEqual(run.state, "cancel")
        runs = self.env["rental.sdd.collection"]._cron_collect()
        self.assertEqual(len(runs), 1)
        self.assertEqual(runs.origin, "cron")
        self.assertEqual(runs.state, "generated")
        self.assertEqual(runs.debit_ids.amount, 1920.0)
        self.assertFalse(self.env["rental.sdd.collection"]._cron_collect(),
                         "nothing left to collect: no empty run")

    def test_paid_between_compute_and_send_is_not_collected(self):
        lease = self.dd_lease()
        jan, feb = self.calls(lease)
        run = self.collect(date(2026, 2, 10), generate=False)
        self.assertEqual(run.debit_ids.amount, 1920.0)
        self.pay(jan, 960.0)
        self.pay(feb, 100.0)
        run.action_generate()
        self.assertEqual(run.debit_ids.amount, 860.0, "never more than what is due")
        self.assertEqual(self.pain008(run).findtext(".//p:InstdAmt", namespaces=NS), "860.00")
        lease2 = self.dd_lease(unit=self.flats[1])
        run2 = self.collect(date(2026, 2, 10), generate=False)
        self.pay(self.calls(lease2), 1920.0)
        with self.assertRaisesRegex(UserError, "paid meanwhile"):
            run2.action_generate()

    def test_bank_connector_taking_direct_debits(self):
        self.dd_lease()
        Connector = self.env.registry["rental.bank.connector"]
        connector = self.env["rental.bank.connector"].create({
            "name": "Bank API", "journal_id": self.master_journal.id, "provider": "qonto",
            "base_url": "https://bank.invalid",
        })
        sent = []

        def send(record, collection, debits):
            sent.append((record, debits))
            return True

        with patch.object(Connector, "_rental_sdd_supports_direct_debits", lambda rec: True), \
                patch.object(Connector, "_rental_sdd_send_debits", send):
            run = self.collect(date(2026, 2, 10))
        self.assertEqual(sent[0][0], connector)
        self.assertEqual(sent[0][1], run.debit_ids)
        self.assertEqual(run.sent_via, "connector")
        self.assertEqual(run.debit_ids.state, "sent")
        self.assertFalse(run.attachment_ids, "no file when the connector took the debits")
        # by default a connector takes none: the file is written
        self.assertFalse(connector._rental_sdd_supports_direct_debits())
