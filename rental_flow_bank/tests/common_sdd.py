"""Shared fixtures of the SEPA direct debit tests: a French agency collecting into its
mandant account (the sample statements' account), owner splits set up, one lease paid
by direct debit with its tenant's mandate."""

from datetime import date
from decimal import Decimal

from lxml import etree

from odoo.addons.rental_flow.tests.split_common import SplitTestCommon

from .common_bankfeeds import MASTER_IBAN, VIBANS, camt_statement

CREDITOR_ID = "FR72ZZZ123456"
OTHER_CREDITOR_ID = "DE98ZZZ09999999999"
TENANT_IBAN = "FR1420041010050500013M02606"
TENANT2_IBAN = "DE89370400440532013000"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}


class SddCommon(SplitTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.master_journal = cls.env["account.journal"].create(
            {"name": "Memo mandant", "code": "MEMO", "type": "bank",
             "bank_acc_number": MASTER_IBAN}
        )
        cls.flats = cls.env["rental.property"].create(
            [{"name": f"DD flat {i + 1}", "parent_id": cls.building.id,
              "mandate_id": cls.mandate.id} for i in range(5)]
        )
        cls.company.write({
            "rental_sdd_creditor_id": CREDITOR_ID,
            "rental_sdd_journal_id": cls.master_journal.id,
        })
        cls.tenant.write({"street": "3 rue Neuve", "zip": "75011", "city": "Paris",
                          "country_id": cls.env.ref("base.fr").id})
        cls.tenant_bank = cls.env["res.partner.bank"].create(
            {"partner_id": cls.tenant.id, "acc_number": TENANT_IBAN}
        )
        cls.sdd_mandate = cls.make_mandate(cls.tenant, cls.tenant_bank)
        cls.tenant2 = cls.env["res.partner"].create({"name": "Tenant Two"})
        cls.tenant2_bank = cls.env["res.partner.bank"].create(
            {"partner_id": cls.tenant2.id, "acc_number": TENANT2_IBAN}
        )

    @classmethod
    def make_mandate(cls, partner, bank, validate=True, **values):
        mandate = cls.env["rental.sdd.mandate"].create({
            "partner_id": partner.id,
            "bank_id": bank.id,
            "signature_date": date(2025, 11, 1),
            **values,
        })
        if validate:
            mandate.action_validate()
        return mandate

    def dd_lease(self, unit=None, tenant=None, **values):
        """A running direct-debit lease and its rent calls of January and February
        (issued on 2025-12-20)."""
        lease = self.make_lease(unit=unit or self.flats[0], payment_mode="direct_debit",
                                **({"tenant_id": tenant.id} if tenant else {}), **values)
        self.issue(lease, until=date(2026, 2, 1))
        return lease

    def collect(self, when=date(2026, 2, 10), generate=True):
        run = self.env["rental.sdd.collection"].create({"collection_date": when})
        run._gather()
        if generate and run.debit_ids.filtered(lambda d: d.state == "draft"):
            run._generate()
        return run

    def pain008(self, run):
        """The parsed pain.008 file of a run (first file)."""
        self.assertTrue(run.attachment_ids, "the run has its SEPA file")
        return etree.fromstring(run.attachment_ids[:1].raw)

    def import_file(self, data, name="statement.xml", **kwargs):
        return self.env["rental.bank.import"]._import_file(data, name, **kwargs)

    def import_entries(self, entries, stmt_id="SDD-STMT", day="2026-02-12"):
        data = camt_statement(entries, "10000.00", stmt_id=stmt_id, day=day)
        log = self.import_file(data, f"{stmt_id}.xml")
        self.assertEqual(log.state, "done", log.error)
        return log

    @staticmethod
    def credit(debit, ref, amount=None, day="2026-02-12"):
        """A CAMT credit entry of the collection of ``debit``."""
        amount = Decimal(str(amount if amount is not None else debit.amount)).quantize(
            Decimal("0.01"))
        entry = {
            "ref": ref, "amount": amount, "cd": "CRDT", "booking": day, "value": day,
            "acct_svcr_ref": ref, "btc": ("PMNT", "IDDT", "ESDD"),
            "txs": [{
                "refs": {"AcctSvcrRef": ref, "EndToEndId": debit.end_to_end_id,
                         "MndtId": debit.mandate_id.name},
                "amount": amount,
                "debtor": {"name": debit.partner_id.name, "iban": TENANT_IBAN},
                "creditor": {"name": "GESTION LOCATIVE SAS", "iban": VIBANS[0]},
                "ustrd": ["PRLV LOYER"],
            }],
        }
        return entry

    @staticmethod
    def return_entry(debit, ref, code, info="", day="2026-02-15"):
        """A CAMT R-transaction (debit entry with RtrInf) of ``debit``."""
        amount = Decimal(str(debit.amount)).quantize(Decimal("0.01"))
        return {
            "ref": ref, "amount": amount, "cd": "DBIT", "booking": day, "value": day,
            "acct_svcr_ref": ref, "btc": ("PMNT", "IDDT", "UPDD"),
            "txs": [{
                "refs": {"AcctSvcrRef": ref, "EndToEndId": debit.end_to_end_id,
                         "MndtId": debit.mandate_id.name},
                "amount": amount,
                "debtor": {"name": debit.partner_id.name, "iban": TENANT_IBAN},
                "creditor": {"name": "GESTION LOCATIVE SAS", "iban": VIBANS[0]},
                "ustrd": ["RETOUR PRLV"],
                "rtr": {"code": code, "info": info},
            }],
        }
