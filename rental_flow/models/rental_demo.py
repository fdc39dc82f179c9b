"""Demo data: an agency managing 25 units for 4 owners, with 6 months of rents.

Generated in Python (called from demo/rental_demo.xml) because the rent calls, the
virtual IBANs and the payments must be dated relative to the day the demo is loaded.
"""

import random
from datetime import timedelta

from schwifty import IBAN

from odoo import Command, api, fields, models

from ..engines import rent_schedule

OWNERS = [
    ("sci_tilleuls", "SCI Les Tilleuls", "3 rue de la Paix", "75002", "Paris", True),
    ("owner_lefevre", "Marie Lefèvre", "18 avenue Foch", "69006", "Lyon", False),
    ("owner_martin", "Jean-Pierre Martin", "7 chemin des Vignes", "94300", "Vincennes", False),
    ("owner_martin_claire", "Claire Martin", "7 chemin des Vignes", "94300", "Vincennes", False),
]

TENANTS = [
    ("Julie", "Moreau"), ("Thomas", "Bernard"), ("Camille", "Dubois"), ("Nicolas", "Petit"),
    ("Léa", "Robert"), ("Antoine", "Richard"), ("Manon", "Durand"), ("Hugo", "Leroy"),
    ("Chloé", "Simon"), ("Lucas", "Laurent"), ("Emma", "Michel"), ("Maxime", "Garcia"),
    ("Inès", "David"), ("Louis", "Bertrand"), ("Sarah", "Roux"), ("Paul", "Vincent"),
    ("Zoé", "Fournier"), ("Arthur", "Morel"), ("Jade", "Girard"), ("Gabriel", "André"),
]

GUARANTOR_FIRST = ["Michel", "Sylvie", "Patrick", "Nathalie", "Philippe", "Isabelle", "Alain"]


class RentalDemo(models.AbstractModel):
    _name = "rental.demo"
    _description = "Rental Flow demo data"

    @api.model
    def _load_demo(self):
        company = self.env.company
        company._rental_ensure_setup()
        rng = random.Random(42)
        today = fields.Date.context_today(self)
        journal = self._demo_bank_journal(company)
        pool = self.env["rental.virtual.iban.pool"].create(
            {
                "name": "Memo Bank – compte mandant",
                "company_id": company.id,
                "journal_id": journal.id,
                "freeze_days": 400,
            }
        )
        self._xmlid(pool, "demo_viban_pool")
        pool._add_range("17338", "00003", 1, 40)
        owners = self._demo_owners(rng)
        insurer = self._partner("demo_insurer", "Assurances GLI Habitat", is_company=True)
        caf = self._partner(
            "demo_caf", "CAF de Paris", is_company=True, street="50 rue du Docteur Finlay",
            zip_code="75015", city="Paris",
        )
        tax = company.account_sale_tax_id
        mandates = {}
        for key, fee, gli, cross in (
            ("sci_tilleuls", 6.5, 2.5, True),
            ("owner_lefevre", 7.0, 0.0, False),
            ("owner_martin", 8.0, 2.2, False),
        ):
            owner = owners[key]
            mandates[key] = self.env["rental.mandate"].create(
                {
                    "owner_id": owner.id,
                    "company_id": company.id,
                    "date_start": today - timedelta(days=900),
                    "fee_rate": fee,
                    "fee_tax_id": tax.id,
                    "fee_min": 15.0,
                    "insurance_rate": gli,
                    "insurer_id": insurer.id if gli else False,
                    "payout_day": 10,
                    "payout_min_amount": 50.0,
                    "reserve_amount": 150.0,
                    "allow_cross_property": cross,
                    "owner_bank_id": owner.bank_ids[:1].id,
                }
            )
            mandates[key].action_activate()
            self._xmlid(mandates[key], f"demo_mandate_{key}")
        units = self._demo_properties(company, mandates, owners)
        self._demo_leases(company, units, rng, caf, today)
        self._demo_rent_calls(today, journal, rng)

    # -- helpers ----------------------------------------------------------------------

    def _xmlid(self, record, name):
        self.env["ir.model.data"]._update_xmlids(
            [{"xml_id": f"rental_flow.{name}", "record": record, "noupdate": True}]
        )

    def _partner(self, xmlid, name, is_company=False, street="", zip_code="", city="", **extra):
        french = self.env["res.lang"].search_count([("code", "=", "fr_FR")])
        partner = self.env["res.partner"].create(
            {
                "name": name,
                "lang": "fr_FR" if french else self.env.lang,
                "is_company": is_company,
                "street": street,
                "zip": zip_code,
                "city": city,
                "country_id": self.env.ref("base.fr").id,
                **extra,
            }
        )
        if xmlid:
            self._xmlid(partner, xmlid)
        return partner

    def _demo_bank_journal(self, company):
        journal = self.env["account.journal"].create(
            {
                "name": "Compte mandant (fonds des propriétaires)",
                "code": "MAND",
                "type": "bank",
                "company_id": company.id,
                "bank_acc_number": "FR7617338000010000000010067",
            }
        )
        company.rental_bank_journal_id = journal
        self._xmlid(journal, "demo_mandant_journal")
        return journal

    def _demo_owners(self, rng):
        owners = {}
        for index, (key, name, street, zip_code, city, is_company) in enumerate(OWNERS):
            email = name.lower().replace(" ", ".").replace("è", "e").replace("é", "e")
            owner = self._partner(
                f"demo_{key}", name, is_company=is_company, street=street, zip_code=zip_code,
                city=city, email=f"{email}@example.com",
            )
            iban = IBAN.generate(
                "FR", bank_code="30004", branch_code="00820", account_code=f"{1000 + index:011d}"
            )
            self.env["res.partner.bank"].create(
                {"partner_id": owner.id, "acc_number": str(iban), "acc_holder_name": name}
            )
            owners[key] = owner
        return owners

    def _demo_properties(self, company, mandates, owners):
        Property = self.env["rental.property"]
        units = []
        buildings = (
            ("tilleuls", "Résidence Les Tilleuls", "12 rue des Tilleuls", "75011",
             "sci_tilleuls", 12),
            ("voltaire", "Immeuble Voltaire", "48 boulevard Voltaire", "75011",
             "owner_lefevre", 10),
        )
        for key, name, street, zip_code, owner_key, count in buildings:
            building = Property.create(
                {
                    "name": name,
                    "kind": "building",
                    "code": key.upper(),
                    "street": street,
                    "zip": zip_code,
                    "city": "Paris",
                    "company_id": company.id,
                    "mandate_id": mandates[owner_key].id,
                }
            )
            self._xmlid(building, f"demo_building_{key}")
            for number in range(1, count + 1):
                is_parking = key == "voltaire" and number > 8
                unit = Property.create(
                    {
                        "name": f"Parking {number - 8}" if is_parking else f"Appartement {number}",
                        "code": f"{key.upper()}-{number:02d}",
                        "kind": "parking" if is_parking else "flat",
                        "parent_id": building.id,
                        "floor": str((number - 1) // 3),
                        "surface": 12 if is_parking else 25 + (number * 7) % 60,
                        "rooms": 0 if is_parking else 1 + number % 4,
                        "company_id": company.id,
                        "mandate_id": mandates[owner_key].id,
                    }
                )
                self._xmlid(unit, f"demo_unit_{key}_{number}")
                units.append(unit)
        houses = (
            ("Maison Montreuil", "5 rue Marceau", "93100", "Montreuil", 92),
            ("Maison Vincennes", "21 rue de Fontenay", "94300", "Vincennes", 110),
            ("Maison Saint-Maur", "9 avenue Gambetta", "94100", "Saint-Maur-des-Fossés", 135),
        )
        for number, (name, street, zip_code, city, surface) in enumerate(houses, start=1):
            house = Property.create(
                {
                    "name": name,
                    "code": f"HOUSE-{number:02d}",
                    "kind": "house",
                    "street": street,
                    "zip": zip_code,
                    "city": city,
                    "surface": surface,
                    "rooms": 4 + number,
                    "company_id": company.id,
                    "mandate_id": mandates["owner_martin"].id,
                }
            )
            self._xmlid(house, f"demo_house_{number}")
            units.append(house)
        # Jean-Pierre and Claire Martin own the Vincennes house jointly (60/40).
        units[-2].owner_line_ids = [
            Command.create(
                {"partner_id": owners["owner_martin"].id, "share": 60.0, "is_principal": True}
            ),
            Command.create({"partner_id": owners["owner_martin_claire"].id, "share": 40.0}),
        ]
        return units

    def _demo_leases(self, company, units, rng, caf, today):
        Lease = self.env["rental.lease"]
        # 20 of the 25 units are let; units 4, 10 and 16 of the list, one parking space
        # and the Saint-Maur house are vacant.
        vacant = {3, 9, 15, 21, 24}
        let_units = [u for i, u in enumerate(units) if i not in vacant]
        six_months_ago = rent_schedule.add_months(today.replace(day=1), -5)
        for index, (unit, (first, last)) in enumerate(zip(let_units, TENANTS, strict=True)):
            tenant = self._partner(
                f"demo_tenant_{index + 1}",
                f"{first} {last}",
                street=unit._address_values()["street"] or "",
                zip_code=unit._address_values()["zip"] or "",
                city=unit._address_values()["city"] or "",
                email=f"{first.lower()}.{last.lower()}@example.com".replace("é", "e")
                .replace("è", "e").replace("ï", "i").replace("ö", "o"),
                phone=f"+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} "
                f"{rng.randint(10, 99)} {rng.randint(10, 99)}",
            )
            # Guarantors: a parent with the same surname, or someone else.
            guarantor_last = last if index % 3 else rng.choice(["Lambert", "Fontaine", "Rousseau"])
            guarantor = self._partner(
                f"demo_guarantor_{index + 1}",
                f"{rng.choice(GUARANTOR_FIRST)} {guarantor_last}",
                city="Paris",
            )
            is_parking = unit.kind == "parking"
            is_house = unit.kind == "house"
            if is_parking:
                rent, charges = 95.0, 0.0
            elif is_house:
                rent, charges = 1450.0 + 40 * index, 120.0
            else:
                rent, charges = 640.0 + 23 * index, 60.0 + 5 * (index % 4)
            # Leases running for years, and a few that started within the last six months.
            if index % 6 == 5:
                start = six_months_ago + timedelta(days=9 + index)
            else:
                start = today - timedelta(days=400 + 37 * index)
            lease = Lease.create(
                {
                    "property_id": unit.id,
                    "company_id": company.id,
                    "tenant_id": tenant.id,
                    "guarantor_ids": [Command.set(guarantor.ids)],
                    "lease_kind": "parking" if is_parking else "residential",
                    "date_start": start,
                    "call_from_date": max(start, six_months_ago),
                    "rent": rent,
                    "charges": charges,
                    "deposit": rent,
                    "due_day": 5 if index % 4 == 0 else 1,
                    "rent_period": "quarterly" if is_parking else "monthly",
                    "index_type": "irl",
                    "index_base_value": 144.5,
                    "index_base_quarter": "2025-Q2",
                    "energy_class": "DCEDBCFDE"[index % 9],
                    "housing_benefit_amount": 210.0 if index in (2, 7) else 0.0,
                    "housing_benefit_payer_id": caf.id if index in (2, 7) else False,
                }
            )
            if index == 4:
                # A couple renting together: the partner is a co-tenant.
                cotenant = self._partner(f"demo_cotenant_{index + 1}", f"Marc {last}", city="Paris")
                lease.cotenant_ids = [Command.link(cotenant.id)]
            self._xmlid(lease, f"demo_lease_{index + 1}")
            lease.action_start()

    def _demo_rent_calls(self, today, journal, rng):
        """Six months of rent calls, most paid, some partly, a few not at all."""
        leases = self.env["rental.lease"].search([("state", "=", "running")])
        first_month = rent_schedule.add_months(today.replace(day=1), -5)
        for offset in range(6):
            month = rent_schedule.add_months(first_month, offset)
            issued_on = min(today, month - timedelta(days=10))
            leases._issue_rent_calls(until=month, invoice_date=issued_on)
        calls = self.env["account.move"].search(
            [("rental_lease_id", "in", leases.ids), ("state", "=", "posted")],
            order="rental_period_start, id",
        )
        current = today.replace(day=1)
        for call in calls:
            if call.rental_period_start >= current:
                continue  # the current month is still to be paid
            luck = rng.random()
            if luck < 0.08:
                continue  # unpaid
            amount = call.amount_residual
            if luck < 0.16:
                amount = round(amount * 0.6, 2)  # partial payment
            pay_date = min(today, call.invoice_date_due + timedelta(days=rng.randint(-3, 6)))
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=call.ids
            ).create(
                {
                    "journal_id": journal.id,
                    "payment_date": pay_date,
                    "amount": amount,
                    "payment_difference_handling": "open",
                }
            )._create_payments()
