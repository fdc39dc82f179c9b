"""Benchmark: rent matching end to end, in a database, on the matching engine's dataset.

Builds in ``$BENCH_DB`` the portfolio of :mod:`matching_dataset` (fixed seed: 2,500
leases with tenants, co-tenants, guarantors, housing benefits paid by the CAF and some
deposits; six months of rent calls issued and posted in bulk by the foundation's own
path, about 17,500 open calls; one virtual IBAN per property, vacant properties too),
writes its 5,000 bank lines as one camt.053 file and imports it through the real path
(``rental.bank.import._import_file``: its ``_rental_after_import`` runs
``_rental_match()``, which proposes, reconciles what is certain and queues the rest).

Two runs on the same portfolio, each in its own transaction rolled back: with 80% of the
lines credited to a virtual IBAN, and with none. The first run rewrites journal items never
updated since they were posted, as in production; the second finds pages the first one
already rewrote and is some 10 % faster (``--first plain`` measures the other one first).
As in production, where the portfolio exists long before a statement comes in, it is
committed, vacuumed and analysed before the runs (as autovacuum does): built in the
measured transaction, its tables would look empty to PostgreSQL's planner and its rows be
checked against thousands of savepoints. It is committed in a copy of ``$BENCH_DB``
(``$BENCH_DB_matching``), dropped at the end, so that the other benchmarks never see it.
The generator's references (rent-call numbers, RF references of housing-benefit and
deposit calls) are rewritten to the ones Odoo gave; the lease codes are the generator's.
Foreign-currency noise lines are written in euros: the import refuses a whole file holding
another currency than the journal's.

Figures (JSON lines; ``_viban`` suffix for the run with virtual IBANs):

* ``matching_proposals_5k_s``: ``seconds_load + seconds_propose`` of ``_rental_match``'s
  stats (target 5 s);
* ``matching_e2e_lines_per_s``: lines / (import + match + reconcile) (target >= 100);
* ``matching_auto_precision_pct``: automatic reconciliations that credit the right lease
  (the right tenant's account: target 99.5);
* ``matching_auto_exact_calls_pct``: automatic reconciliations whose rent calls and
  amounts are exactly the generator's (no target: when an earlier line of the lease went to
  review, the open calls differ from the generator's ledger and "oldest first", the
  default imputation of French law, rightly settles another month of the same lease);
* ``matching_recall_pct``: lines with a true match that got the right lease, reconciled
  automatically or as the top proposal of the review queue (target 90);
* with virtual IBANs: ``matching_viban_matched_pct`` (lines credited to a leased
  property's virtual IBAN that got the right lease, target 99) and
  ``matching_viban_wrong`` (automatic reconciliations of such lines on a wrong lease,
  target 0) and ``matching_viban_other_call`` (right lease, another month than the
  generator's; no target).

Exits non-zero, printing no figure, when the matching glue (``_rental_match``) is not
installed or fails. Each run is rolled back to the committed portfolio.
Run: ``BENCH_DB=... ODOO_RC=... python3 bench/bench_matching_e2e.py [--leases N --lines N]``.
"""

# bench: needs-database
import argparse
import contextlib
import os
import re
import sys
import time
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(
    0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests",
                    "bank_parsers")
)

from bank_camt_builder import CamtBuilder  # noqa: E402
from bench_bank_import import euro_company  # noqa: E402
from benchlib import emit, odoo_env, scratch_database, vacuum_analyze  # noqa: E402
from matching_dataset import VIRTUAL_BANK, build_dataset  # noqa: E402

PROPOSALS_TARGET_S = 5
E2E_TARGET_LINES_PER_S = 100
OWNERS = 50
AGENCY = "GESTION LOCATIVE BENCH"
LINE_TAG = re.compile(r"BENCH-(\d{6})")


def log(message):
    print(f"# {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------ portfolio
def build_portfolio(env, dataset):
    """Create the dataset's portfolio; return (journal, {generator item id: move})."""
    company = euro_company(env)
    env = env(context=dict(env.context, allowed_company_ids=company.ids))
    company._rental_ensure_setup()
    journal = env["account.journal"].create(
        {"name": "Bench matching mandant", "code": "BMAT", "type": "bank",
         "bank_acc_number": dataset.master_iban}
    )
    company.rental_bank_journal_id = journal
    pool = env["rental.virtual.iban.pool"].create(
        {"name": "Bench matching pool", "journal_id": journal.id, "auto_assign": False}
    )
    leases_info = dataset.leases
    vacant = len(dataset.virtual_ibans) - len(leases_info)
    pool._add_range(VIRTUAL_BANK[0], VIRTUAL_BANK[1], 1, len(leases_info) + vacant)

    # parties: tenants, co-tenants, guarantors (some shared), CAF offices
    parties = {}
    for info in leases_info:
        for party in (*info.tenants, *info.cotenants, *info.guarantors,
                      *((info.housing_benefit_payer,) if info.housing_benefit_payer else ())):
            parties.setdefault(party.partner_id, party)
    ids = sorted(parties)
    partners = env["res.partner"].create([{"name": parties[pid].name} for pid in ids])
    partner_of = dict(zip(ids, partners, strict=True))
    env["res.partner.bank"].create(
        [
            {"partner_id": partner_of[pid].id, "acc_number": iban}
            for pid in ids
            for iban in parties[pid].ibans
        ]
    )

    owners = env["res.partner"].create([{"name": f"Bench owner {n}"} for n in range(OWNERS)])
    mandates = env["rental.mandate"].create(
        [{"owner_id": owner.id, "fee_rate": 7.0} for owner in owners]
    )
    building = env["rental.property"].create({"name": "Bench residence", "kind": "building"})
    units = env["rental.property"].create(
        [
            {"name": viban.property_name, "parent_id": building.id,
             "mandate_id": mandates[n % OWNERS].id}
            for n, viban in enumerate(dataset.virtual_ibans)
        ]
    )
    pool._allocate(units)
    units.virtual_iban_assignment_ids.write({"date_from": date(2024, 1, 1)})
    for unit, viban in zip(units, dataset.virtual_ibans, strict=True):
        if unit.virtual_iban_id.name != viban.iban:
            raise RuntimeError(f"{unit.name} got {unit.virtual_iban_id.name}, not {viban.iban}")

    start = min(item.due_date for item in dataset.items if item.kind == "rent").replace(day=1)
    last = max(item.due_date for item in dataset.items if item.kind == "rent").replace(day=1)
    lease_vals = []
    for info, unit in zip(leases_info, units, strict=False):
        hb = info.housing_benefit_amount
        lease_vals.append(
            {
                "name": info.code,
                "property_id": unit.id,
                "tenant_id": partner_of[info.tenants[0].partner_id].id,
                "cotenant_ids": [(6, 0, [partner_of[p.partner_id].id for p in info.cotenants])],
                "guarantor_ids": [(6, 0, [partner_of[p.partner_id].id for p in info.guarantors])],
                "date_start": info.date_start,
                "call_from_date": start,
                "rent": float(info.rent_amount),
                "charges": 0.0,
                "due_day": 5,
                "deposit": float(info.deposit_amount or 0),
                "housing_benefit_amount": float(hb or 0),
                "housing_benefit_payer_id": (
                    partner_of[info.housing_benefit_payer.partner_id].id if hb else False
                ),
                "state": "running",
            }
        )
    leases = env["rental.lease"].create(lease_vals)
    # payers the agency already confirmed for a lease (the generator's known payers)
    env["rental.known.payer"].create(
        [
            {"lease_id": lease.id, "iban": payer.iban, "name": payer.name, "source": "manual"}
            for info, lease in zip(leases_info, leases, strict=True)
            for payer in info.known_payers
        ]
    )
    env.flush_all()
    log(f"{len(leases)} leases, {len(partners)} parties, {len(units)} properties")

    started = time.perf_counter()
    moves = leases._issue_rent_calls(until=last, invoice_date=start - timedelta(days=10))
    with_deposit = leases.filtered("deposit")
    cache = {}
    moves |= leases._create_calls(
        [lease._prepare_deposit_call_vals(start - timedelta(days=10), cache)
         for lease in with_deposit]
    )
    env.flush_all()
    log(f"{len(moves)} rent calls issued and posted in {time.perf_counter() - started:.0f} s")

    lease_by_code = {lease.name: lease for lease in leases}
    by_key = {}
    for move in moves:
        key = (move.rental_lease_id.name, move.rental_call_kind,
               move.rental_period_start if move.rental_call_kind != "deposit" else None)
        by_key[key] = move
    code_of = {info.id: info.code for info in leases_info}
    item_move = {}
    for item in dataset.items:
        period = item.period_start if item.kind != "deposit" else None
        move = by_key.get((code_of[item.lease_id], item.kind, period))
        if move is None:
            raise RuntimeError(f"no rent call for item {item.number}")
        if Decimal(str(move.amount_total)) != item.amount_total:
            raise RuntimeError(
                f"{move.name}: {move.amount_total} called, generator says {item.amount_total}"
            )
        item_move[item.id] = move
    return journal, item_move, lease_by_code


# ---------------------------------------------------------------------- statement file
def rewrite_references(dataset, item_move):
    """Generator numbers and RF references → Odoo's (str → str)."""
    mapping = {}
    for item in dataset.items:
        move = item_move[item.id]
        mapping[item.number] = move.name
        if item.payment_reference != move.payment_reference:
            mapping[item.payment_reference] = move.payment_reference
            spaced = " ".join(item.payment_reference[i : i + 4]
                              for i in range(0, len(item.payment_reference), 4))
            mapping[spaced] = " ".join(move.payment_reference[i : i + 4]
                                       for i in range(0, len(move.payment_reference), 4))
    return mapping


REFERENCE_SHAPES = re.compile(
    r"(?:RENT|CAF|DEP)/\d{4}(?:/\d{2})?/\d{4}"  # generator rent-call numbers
    r"|RF\d\d(?:[A-Z0-9]+|(?: [A-Z0-9]{1,4})+)"  # RF references, plain or in fours
)


def rewrite_text(text, mapping):
    """``text`` with the generator's numbers and references replaced by Odoo's."""
    if not text:
        return text

    def replace_one(found):
        words = found.group(0).split(" ")
        for end in range(len(words), 0, -1):  # longest known prefix
            key = " ".join(words[:end])
            if key in mapping:
                return " ".join([mapping[key], *words[end:]])
        return found.group(0)

    return REFERENCE_SHAPES.sub(replace_one, text)


def camt_file(lines, master, mapping):
    """One camt.053 statement of the lines (each tagged BENCH-<line id>)."""

    def rewrite(text):
        return rewrite_text(text, mapping)

    entries, total = [], Decimal(0)
    for line in lines:
        amount = abs(line.amount)
        credit = line.amount > 0
        tag = f"BENCH-{line.id:06d}"
        tx = {
            "refs": {"AcctSvcrRef": tag, "EndToEndId": line.end_to_end_id or "NOTPROVIDED"},
            "amount": amount,
            "debtor": {"name": line.payer_name or "", "iban": line.payer_iban or ""},
            "creditor": {"name": AGENCY, "iban": line.credited_iban or master},
        }
        if not credit:
            tx["debtor"], tx["creditor"] = (
                {"name": AGENCY, "iban": master},
                {"name": line.payer_name or "", "iban": line.payer_iban or ""},
            )
        remittance = rewrite(line.remittance)
        if remittance:
            tx["ustrd"] = [remittance]
        if line.structured_reference:
            tx["strd"] = {"ref": rewrite(line.structured_reference), "type": "SCOR"}
        day = line.date.isoformat()
        entries.append(
            {
                "ref": tag,
                "amount": amount,
                "cd": "CRDT" if credit else "DBIT",
                "booking": day,
                "value": day,
                "acct_svcr_ref": tag,
                "btc": ("PMNT", "RCDT", "ESCT") if credit else ("PMNT", "ICDT", "ESCT"),
                "txs": [tx],
            }
        )
        total += amount if credit else -amount
    first = min(line.date for line in lines)
    statement = {
        "id": "STMT-BENCH-MATCHING",
        "seq": 1,
        "account": {"iban": master, "currency": "EUR", "owner": AGENCY, "bic": "BENCFRPPXXX"},
        "balances": [
            ("OPBD", Decimal("0.00"), "CRDT", (first - timedelta(days=1)).isoformat()),
            ("CLBD", total, "CRDT" if total >= 0 else "DBIT",
             max(line.date for line in lines).isoformat()),
        ],
        "entries": entries,
    }
    if total < 0:
        statement["balances"][1] = ("CLBD", -total, "DBIT", statement["balances"][1][3])
    return CamtBuilder("053", 8).build([statement], msg_id="BENCH-MATCHING", pretty=False)


# --------------------------------------------------------------------------- one run
@contextlib.contextmanager
def capture_match(env, captured):
    """Keep what ``_rental_match`` returns (or raises) when the import hook calls it."""
    Line = type(env["account.bank.statement.line"])
    original = Line._rental_match

    def _rental_match(self, *args, **kwargs):
        try:
            stats = original(self, *args, **kwargs)
        except Exception as exc:
            captured.append(exc)
            raise
        captured.append(stats)
        return stats

    Line._rental_match = _rental_match
    try:
        yield
    finally:
        Line._rental_match = original


def run(env, dataset, journal, item_move, lines, label, check_only=False, explain=0):
    """Import ``lines``, let the matching run, measure; return the figures.

    ``check_only``: import without matching (the matching glue absent), check the lines
    and return None.
    """
    env = env(context=dict(env.context, allowed_company_ids=journal.company_id.ids))
    master = dataset.master_iban
    data = camt_file(lines, master, rewrite_references(dataset, item_move))
    captured = []
    with contextlib.nullcontext() if check_only else capture_match(env, captured):
        started = time.perf_counter()
        bank_import = env["rental.bank.import"]._import_file(data, f"bench-{label}.xml")
        env.flush_all()
        elapsed = time.perf_counter() - started
    if bank_import.state != "done":
        sys.exit(f"import failed ({bank_import.state}): {bank_import.error}")
    if check_only:
        st_lines = bank_import.line_ids
        with_property = st_lines.filtered("rental_property_id")
        log(f"{label}: {len(st_lines)} lines imported in {elapsed:.1f} s, "
            f"{len(with_property)} with a property, "
            f"{len(st_lines.filtered('is_reconciled'))} reconciled (no matching)")
        if len(st_lines) != len(lines):
            sys.exit(f"{len(st_lines)} statement lines imported for {len(lines)} in the file")
        tags = {int(LINE_TAG.search(uid).group(1)) for uid in st_lines.mapped("unique_import_id")}
        if tags != {line.id for line in lines}:
            sys.exit("the imported lines do not carry the bench line ids")
        return None
    if not captured:
        sys.exit("the import did not run _rental_match()")
    stats = captured[-1]
    if isinstance(stats, Exception):
        sys.exit(f"_rental_match() failed: {stats!r}")
    st_lines = bank_import.line_ids
    if len(st_lines) != len(lines):
        sys.exit(f"{len(st_lines)} statement lines imported for {len(lines)} in the file")
    result = evaluate(env, dataset, item_move, lines, st_lines, stats, elapsed, explain)
    result["dashboard"] = dashboard(env)
    return result


def dashboard(env):
    """Seconds to read the rent status dashboard's groups (status, property, owner, month)."""
    Report = env["rental.rent.status.report"]
    env.flush_all()
    env.invalidate_all()
    started = time.perf_counter()
    for groupby in (["status"], ["property_id", "status"], ["owner_id", "status"],
                    ["period_start:month", "status"]):
        Report._read_group([], groupby, ["amount_called:sum", "amount_paid:sum",
                                         "amount_due:sum", "__count"])
    return time.perf_counter() - started, Report.search_count([])


def evaluate(env, dataset, item_move, lines, st_lines, stats, elapsed, explain=0):
    """Precision and recall, read back from the database; ``explain``: how many wrong
    automatic reconciliations to describe on stderr."""
    cr = env.cr
    line_of = {}
    for st_line in st_lines:
        found = LINE_TAG.search(st_line.unique_import_id or "")
        if not found:
            sys.exit(f"cannot tell which bench line {st_line.unique_import_id} is")
        line_of[st_line.id] = int(found.group(1))
    by_id = {line.id: line for line in lines}
    # rent calls reconciled with each statement line, and how much
    cr.execute(
        """
        SELECT st.id, call_l.move_id, SUM(p.amount)
          FROM account_bank_statement_line st
          JOIN account_move_line l ON l.move_id = st.move_id
          JOIN account_partial_reconcile p ON p.credit_move_id = l.id
          JOIN account_move_line call_l ON call_l.id = p.debit_move_id
          JOIN account_move m ON m.id = call_l.move_id AND m.rental_lease_id IS NOT NULL
         WHERE st.id = ANY(%s)
         GROUP BY 1, 2
        """,
        [st_lines.ids],
    )
    reconciled = defaultdict(dict)
    for st_id, move_id, amount in cr.fetchall():
        reconciled[st_id][move_id] = Decimal(str(amount)).quantize(Decimal("0.01"))
    cr.execute(
        """
        SELECT DISTINCT ON (statement_line_id) statement_line_id, lease_id, state
          FROM rental_match_proposal
         WHERE statement_line_id = ANY(%s) AND lease_id IS NOT NULL
           AND state IN ('review', 'auto', 'accepted')
         ORDER BY statement_line_id, score DESC, id
        """,
        [st_lines.ids],
    )
    top = {st_id: lease_id for st_id, lease_id, __ in cr.fetchall()}
    move_lease = {move.id: move.rental_lease_id.id for move in item_move.values()}
    lease_code = {move.rental_lease_id.id: move.rental_lease_id.name
                  for move in item_move.values()}
    code_of = {info.id: info.code for info in dataset.leases}
    viban_names = set(dataset.lease_viban.values())

    auto = auto_ok = with_truth = right_lease = auto_right_lease = cascade = 0
    viban_lines = viban_right = 0
    viban_misses = []
    # a lease whose earlier line was not reconciled as the truth says has other open
    # calls than the generator's ledger: "oldest first" then rightly picks another call
    disturbed = set()
    ordered = sorted(st_lines, key=lambda st: (by_id[line_of[st.id]].date, line_of[st.id]))
    for st_line in ordered:
        line = by_id[line_of[st_line.id]]
        truth = dataset.truth[line.id]
        calls = reconciled.get(st_line.id, {})
        correct = None
        if calls:
            auto += 1
            expected = {}
            if truth is not None:
                for item_id, amount in truth.allocations:
                    move_id = item_move[item_id].id
                    expected[move_id] = expected.get(move_id, Decimal(0)) + amount
            correct = calls == expected
            auto_ok += correct
            if not correct and explain > 0:
                explain -= 1
                names = {m.id: m.name for m in item_move.values()}
                log(f"wrong auto: line {line.id} {dataset.category[line.id]}/"
                    f"{dataset.detail[line.id]} {line.amount} {line.payer_name!r} "
                    f"{line.remittance!r} {line.structured_reference!r}: reconciled "
                    f"{ {names.get(k, k): str(v) for k, v in calls.items()} }, truth "
                    f"{ {names.get(k, k): str(v) for k, v in expected.items()} }")
        if calls:
            leases = {lease_code[move_lease.get(m)] for m in calls if m in move_lease}
            got = next(iter(leases)) if len(leases) == 1 else None
        else:
            got = lease_code.get(top.get(st_line.id))
        on_viban = line.credited_iban in viban_names
        if calls and truth is not None and got == code_of[truth.lease_id]:
            auto_right_lease += 1
            if not correct and truth.lease_id in disturbed:
                cascade += 1
        if truth is not None and not correct:
            disturbed.add(truth.lease_id)
        if truth is not None:
            with_truth += 1
            right = got == code_of[truth.lease_id]
            right_lease += right
            if on_viban:
                viban_lines += 1
                viban_right += right
        if on_viban and correct is False:  # right lease, other month? or wrong lease
            viban_misses.append(truth is not None and got == code_of[truth.lease_id])
    return {
        "stats": stats,
        "elapsed": elapsed,
        "lines": len(lines),
        "auto": auto,
        "auto_ok": auto_ok,
        "auto_right_lease": auto_right_lease,
        "cascade": cascade,
        "with_truth": with_truth,
        "right_lease": right_lease,
        "viban_lines": viban_lines,
        "viban_right": viban_right,
        "viban_wrong": viban_misses.count(False),
        "viban_other_call": viban_misses.count(True),
    }


def report(result, viban, sizes):
    suffix = "_viban" if viban else ""
    stats = result["stats"]
    extra = {"scenario": "virtual IBANs on 80% of lines" if viban else "no virtual IBAN",
             **sizes, "auto": result["auto"], "review": stats.get("review"),
             "unmatched": stats.get("unmatched"), "errors": stats.get("errors")}
    proposals_s = float(stats.get("seconds_load", 0)) + float(stats.get("seconds_propose", 0))
    emit(f"matching_proposals_5k_s{suffix}", round(proposals_s, 2), "s",
         target=PROPOSALS_TARGET_S,
         **{key: round(float(stats.get(key, 0)), 2)
            for key in ("seconds_load", "seconds_propose", "seconds_reconcile")}, **extra)
    emit(f"matching_e2e_lines_per_s{suffix}", round(result["lines"] / result["elapsed"], 1),
         "lines/s", target=E2E_TARGET_LINES_PER_S, higher_is_better=True,
         seconds=round(result["elapsed"], 1), **extra)
    precision = 100.0 * result["auto_ok"] / result["auto"] if result["auto"] else 0.0
    lease_precision = (100.0 * result["auto_right_lease"] / result["auto"]
                       if result["auto"] else 0.0)
    emit(f"matching_auto_precision_pct{suffix}", round(lease_precision, 2), "%",
         target=99.5, higher_is_better=True, autos=result["auto"],
         auto_right_lease=result["auto_right_lease"], **extra)
    recall = 100.0 * result["right_lease"] / result["with_truth"] if result["with_truth"] else 0.0
    emit(f"matching_auto_exact_calls_pct{suffix}", round(precision, 2), "%",
         auto_correct=result["auto_ok"],
         other_call_after_earlier_line_not_as_truth=result["cascade"], **extra)
    emit(f"matching_recall_pct{suffix}", round(recall, 2), "%", target=90,
         higher_is_better=True, lines_with_truth=result["with_truth"],
         right_lease=result["right_lease"], **extra)
    seconds, rows = result["dashboard"]
    emit(f"rent_status_dashboard_s{suffix}", round(seconds, 2), "s", target=2,
         rent_calls=rows, groupings=4)
    if viban:
        matched = (100.0 * result["viban_right"] / result["viban_lines"]
                   if result["viban_lines"] else 0.0)
        emit("matching_viban_matched_pct", round(matched, 2), "%", target=99,
             higher_is_better=True, viban_lines=result["viban_lines"], **extra)
        emit("matching_viban_wrong", result["viban_wrong"], "lines", target=0, **extra)
        emit("matching_viban_other_call", result["viban_other_call"], "lines", **extra)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--leases", type=int, default=2500)
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument(
        "--check-import", action="store_true",
        help="build the portfolio and import the files without measuring (no figure)",
    )
    parser.add_argument("--first", choices=("viban", "plain"), default="viban",
                        help="which run comes first on the portfolio (see the docstring)")
    parser.add_argument("--explain", type=int, default=0,
                        help="describe up to N wrong automatic reconciliations on stderr")
    args = parser.parse_args()
    dataset = build_dataset(n_leases=args.leases, n_lines=args.lines)
    eur_lines = [replace(line, currency="EUR") for line in dataset.lines]
    viban_lines = [replace(line, currency="EUR")
                   for line in dataset.lines_with_virtual_ibans(0.8)]
    with scratch_database("matching"), odoo_env() as env:
        env = env(context={"lang": "en_US"})
        if not args.check_import and (
            not hasattr(env["account.bank.statement.line"], "_rental_match")
            or "rental.match.proposal" not in env
        ):
            sys.exit("account.bank.statement.line._rental_match() is not installed: the "
                     "matching glue of rental_flow_bank is missing, no figure to measure")
        journal, item_move, __ = build_portfolio(env, dataset)
        env.cr.commit()
        vacuum_analyze(env.cr.dbname)
        sizes = {"leases": len(dataset.leases), "open_rent_calls": len(item_move),
                 "statement_lines": len(eur_lines)}
        runs = [(True, viban_lines), (False, eur_lines)]
        if args.first == "plain":
            runs.reverse()
        for viban, lines in runs:
            # each run in its own transaction, as a statement import is a request of its
            # own: nothing in cache, rolled back to the committed portfolio afterwards
            env.invalidate_all()
            result = run(env, dataset, journal, item_move, lines,
                         "viban" if viban else "plain", check_only=args.check_import,
                         explain=args.explain)
            if result is not None:
                report(result, viban, sizes)
            env.cr.rollback()


if __name__ == "__main__":
    main()
