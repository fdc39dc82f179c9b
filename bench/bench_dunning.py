"""Benchmark of the dunning (issue 7, rental_flow_dunning).

A dunning run over 50,000 overdue rent calls (10,000 leases x 5 unpaid months): selection,
planning and preview lines, then sending (fresh re-check of every line, reminders, emails
rendered and queued, SMS queued, letters queued for printing, activities, chatter notes).
Target: under 60 s for the whole run on the 2-core machine.

Setup (not timed): 10,000 units, tenants and running leases; one month of rent calls
issued through the ORM (``_issue_rent_calls``), then copied by SQL to the four previous
months ("SQL-light" setup: the copies are the same posted, unpaid invoices with shifted
dates, names and periods). Part of the leases have past reminders so that every level of
the shipped Standard policy is reached (email + SMS, letters with guarantor copies,
registered letter, bailiff activity), and some tenants have no mobile number (missing
contact activity). Everything is rolled back at the end.
"""

# bench: needs-database
import argparse
import sys
import time
from datetime import date, timedelta

from benchlib import emit, odoo_env

TODAY = date(2026, 11, 25)
MONTHS = 5


QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True}
RENT_VARIANTS = 10


def build_leases(env, count):
    env = env(context=dict(env.context, **QUIET))
    company = env.company
    company.write({"country_id": env.ref("base.fr").id})
    company._rental_ensure_setup()
    owner = env["res.partner"].create({"name": "Bench owner"})
    mandate = env["rental.mandate"].create({"owner_id": owner.id, "fee_rate": 7.0})
    building = env["rental.property"].create(
        {"name": "Bench building", "kind": "building", "street": "1 rue du Banc",
         "zip": "75011", "city": "Paris"}
    )
    units = env["rental.property"].create(
        [{"name": f"Unit {i}", "parent_id": building.id, "mandate_id": mandate.id}
         for i in range(count)]
    )
    france = env.ref("base.fr").id
    tenants = env["res.partner"].create([
        {
            "name": f"Tenant {i}",
            "email": f"tenant{i}@example.com",
            "mobile": False if i % 20 == 0 else f"06 12 {i // 10000 % 100:02d} "
            f"{i // 100 % 100:02d} {i % 100:02d}",
            "street": f"{i} rue des Lilas", "zip": "75011", "city": "Paris",
            "country_id": france,
        }
        for i in range(count)
    ])
    guarantors = env["res.partner"].create([
        {"name": f"Guarantor {i}", "email": f"guarantor{i}@example.com",
         "street": f"{i} avenue Foch", "zip": "69006", "city": "Lyon", "country_id": france}
        for i in range(0, count, 2)
    ])
    leases = env["rental.lease"].create([
        {
            "property_id": unit.id,
            "tenant_id": tenant.id,
            "guarantor_ids": [(6, 0, [guarantors[i // 2].id])] if i % 2 == 0 else [],
            "date_start": date(2025, 1, 1),
            "call_from_date": date(2026, 11, 1),
            "rent": 500 + 50 * (i % RENT_VARIANTS),
            "charges": 50,
            "state": "running",
        }
        for i, (unit, tenant) in enumerate(zip(units, tenants, strict=True))
    ])
    env.flush_all()
    return leases


def issue_calls(env, leases):
    """Rent calls of July to November for every lease.

    One November rent call per rent amount is issued through the ORM
    (``_issue_rent_calls``); every other call is an SQL copy of the call with the same
    amount, given its lease, tenant, unit, number and period.
    """
    templates = leases[:RENT_VARIANTS]
    template_moves = templates._issue_rent_calls(
        until=date(2026, 11, 1), invoice_date=date(2026, 10, 22)
    )
    env.flush_all()
    by_lease = {move.rental_lease_id.id: move.id for move in template_moves}
    cr = env.cr
    columns = {
        table: [
            row[0] for row in _fetch(cr, (
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = %s AND column_name != 'id' ORDER BY ordinal_position"
            ), (table,))
        ]
        for table in ("account_move", "account_move_line")
    }
    for back in range(MONTHS):
        targets = [lease for lease in leases if back or lease not in templates]
        sources = [by_lease[templates[i % RENT_VARIANTS].id]
                   for i, lease in enumerate(leases) if back or lease not in templates]
        _copy_calls(cr, columns, sources, targets, back)
    env.invalidate_all()
    return env["account.move"].search([("rental_lease_id", "in", leases.ids)])


def _fetch(cr, query, params=()):
    cr.execute(query, params)
    return cr.fetchall()


def _copy_calls(cr, columns, sources, leases, back):
    """Copy the rent call ``sources[i]`` to ``leases[i]``, ``back`` months earlier."""
    shift = f"INTERVAL '{int(back)} month'"
    new_ids = [row[0] for row in _fetch(
        cr, "SELECT nextval('account_move_id_seq') FROM generate_series(1, %s)",
        (len(leases),))]
    mapping = (
        sources, new_ids, [lease.id for lease in leases],
        [lease.tenant_id.id for lease in leases], [lease.property_id.id for lease in leases],
    )
    move_overrides = {
        "name": f"name || '-' || map.lease_id || '-M{back}'",
        "partner_id": "map.tenant_id",
        "commercial_partner_id": "map.tenant_id",
        "rental_lease_id": "map.lease_id",
        "rental_property_id": "map.property_id",
        "rental_virtual_iban_id": "NULL",
        "date": f"(date - {shift})::date",
        "invoice_date": f"(invoice_date - {shift})::date",
        "invoice_date_due": f"(invoice_date_due - {shift})::date",
        "rental_period_start": f"(rental_period_start - {shift})::date",
        "rental_period_end": f"(date_trunc('month', rental_period_start - {shift}) "
                             f"+ INTERVAL '1 month' - INTERVAL '1 day')::date",
        "sequence_number": f"sequence_number + map.lease_id * 10 + {back}",
    }
    select = ", ".join(move_overrides.get(c, c) for c in columns["account_move"])
    cr.execute(
        f"""
        INSERT INTO account_move (id, {", ".join(columns["account_move"])})
        SELECT map.new_id, {select}
          FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[], %s::int[])
               AS map(old_id, new_id, lease_id, tenant_id, property_id)
          JOIN account_move ON account_move.id = map.old_id
        """,
        mapping,
    )
    line_overrides = {
        "move_id": "map.new_id",
        "move_name": f"move_name || '-' || map.lease_id || '-M{back}'",
        "partner_id": "CASE WHEN display_type = 'payment_term' THEN map.tenant_id "
                      "ELSE partner_id END",
        "rental_property_id": "map.property_id",
        "date": f"(date - {shift})::date",
        "invoice_date": f"(invoice_date - {shift})::date",
        "date_maturity": f"(date_maturity - {shift})::date",
    }
    select = ", ".join(line_overrides.get(c, c) for c in columns["account_move_line"])
    cr.execute(
        f"""
        INSERT INTO account_move_line ({", ".join(columns["account_move_line"])})
        SELECT {select}
          FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[], %s::int[])
               AS map(old_id, new_id, lease_id, tenant_id, property_id)
          JOIN account_move_line ON account_move_line.move_id = map.old_id
        """,
        mapping,
    )


def past_reminders(env, leases, policy):
    """Reminders already sent to part of the leases, so that every level is reached."""
    levels = policy._ordered_levels()
    run = env["rental.dunning.run"].create(
        {"company_id": env.company.id, "date": TODAY - timedelta(days=10)}
    )
    run.state = "done"
    cr = env.cr
    buckets = []  # (lease ids, level) with a previous reminder at that level
    n = len(leases)
    cuts = [int(n * 0.4), int(n * 0.7), int(n * 0.9)]
    buckets.append((leases[cuts[0]:cuts[1]], levels[1]))  # -> reminder letter
    buckets.append((leases[cuts[1]:cuts[2]], levels[2]))  # -> formal notice (LRAR)
    buckets.append((leases[cuts[2]:], levels[3]))  # -> bailiff activity
    sent = TODAY - timedelta(days=10)
    for bucket, level in buckets:
        cr.execute(
            """
            INSERT INTO rental_dunning_run_line
                (run_id, company_id, date, lease_id, tenant_id, policy_id, level_id,
                 level_position, state, state_sequence, sent_date, amount_overdue,
                 create_uid, write_uid, create_date, write_date)
            SELECT %s, %s, %s, l.id, l.tenant_id, %s, %s, %s, 'sent', 3, %s, 0,
                   1, 1, now(), now()
              FROM rental_lease l WHERE l.id = ANY(%s)
            RETURNING id, lease_id
            """,
            (run.id, env.company.id, sent, policy.id, level.id, level._position(),
             sent, bucket.ids),
        )
        rows = cr.fetchall()
        cr.execute(
            """
            INSERT INTO rental_dunning_run_line_move_rel (line_id, move_id)
            SELECT r.line_id, m.id
              FROM unnest(%s::int[], %s::int[]) AS r(line_id, lease_id)
              JOIN account_move m ON m.rental_lease_id = r.lease_id
            """,
            ([row[0] for row in rows], [row[1] for row in rows]),
        )
    env.invalidate_all()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--leases", type=int, default=10000)
    parser.add_argument("--profile", help="write a cProfile of the timed part to this file")
    args = parser.parse_args()
    with odoo_env() as env:
        started = time.perf_counter()
        policy = env.ref("rental_flow_dunning.policy_standard")
        # Every lease has five unpaid months: with the shipped threshold (3) all would be
        # chronic late payers and skip the email + SMS level. The rule is still evaluated.
        policy.chronic_late_count = 6
        env.company.rental_dunning_policy_id = policy
        leases = build_leases(env, args.leases)
        calls = issue_calls(env, leases)
        past_reminders(env, leases, policy)
        env.flush_all()
        env.cr.flush()  # run the setup's pre-commit hooks (tracking) outside the timing
        # Planner statistics, as autovacuum keeps them on a live database.
        env.cr.execute("ANALYZE account_move, account_move_line, rental_lease, res_partner")
        setup = time.perf_counter() - started
        print(f"# setup {setup:.1f} s", file=sys.stderr)

        run = env["rental.dunning.run"].create({"company_id": env.company.id, "date": TODAY})
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        run.action_preview()
        env.flush_all()
        preview = time.perf_counter() - started
        started = time.perf_counter()
        run.action_send()
        env.flush_all()
        send = time.perf_counter() - started
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)

        lines = run.line_ids
        histories = run.history_ids
        by_channel = {
            channel: len(histories.filtered(lambda h, c=channel: h.channel == c))
            for channel in ("email", "sms", "letter", "activity")
        }
        emit("dunning_run_50k_calls_s", round(preview + send, 2), "s", 60,
             rent_calls=len(calls), leases=len(leases), lines=len(lines),
             sent=len(lines.filtered(lambda line: line.state == "sent")),
             reminders=len(histories), setup_s=round(setup, 1), **by_channel)
        emit("dunning_preview_50k_calls_s", round(preview, 2), "s")
        emit("dunning_send_s", round(send, 2), "s")
        assert len(calls) == args.leases * MONTHS, len(calls)

        # Large runs hand their emails and SMS to the delivery job: its throughput.
        History = env["rental.dunning.history"]
        batch = min(2000, History.search_count([("state", "=", "pending")]))
        started = time.perf_counter()
        History._cron_deliver(batch_size=batch)
        env.flush_all()
        deliver = time.perf_counter() - started
        delivered = History.search_count(
            [("run_id", "=", run.id), ("state", "in", ("queued", "cancelled"))]
        )
        emit("dunning_deliver_2k_reminders_s", round(deliver, 2), "s",
             delivered=delivered, per_second=round(delivered / deliver, 1) if deliver else None)


if __name__ == "__main__":
    main()
