"""The store's records as plain text for the terminal (``--json`` gives them whole)."""

from __future__ import annotations

from typing import Any


def _chosen(decision: dict[str, Any]) -> str:
    words = [c.get("id") or f"“{c['text']}”" for c in decision["chosen"]]
    text = ", ".join(words)
    if not decision["among_suggested"]:
        reason = decision.get("reason") or {}
        text += f" (not among the suggested; reason: {reason.get('code', '-')})"
    return text


def print_cases(rows: list[dict[str, Any]]) -> None:
    if not rows:
        print("no cases stored")
        return
    print("reference   case id       disease  state       stored at             "
          "latest decision")
    for row in rows:
        decision = row["latest_decision"]
        latest = "-" if decision is None else f"{decision['meeting']}: " + ", ".join(
            decision["chosen"])
        print(f"{row['ref']:<11} {str(row['case_id'] or '-')[:13]:<13} {row['disease']:<8} "
              f"{row['state']:<11} {row['stored_at']:<21} {latest}")


def print_case(detail: dict[str, Any]) -> None:
    print(f"case {detail['ref']} (stored {detail['created_at']} by {detail['created_by']})")
    print("versions:")
    for v in detail["versions"]:
        case = v["case"]
        print(f"  {v['version']}: {v['stored_at']} by {v['stored_by']}: "
              f"{case.get('id') or '(no case id)'}, {case['disease']}, age {case['age']}")
    print("assessments:")
    for a in detail["assessments"]:
        result = a["assessment"]
        options = ", ".join(o["id"] for o in result["options"]) or "none"
        print(f"  {a['id']}: version {a['version']}, as of {a['as_of']}, "
              f"{result['status']['state']}; options: {options}; knowledge "
              f"{a['knowledge_version'][:19]}…")
    print("decisions:" if detail["decisions"] else "decisions: none")
    for d in detail["decisions"]:
        print(f"  {d['decided_at']} at {d['meeting']} by {d['decided_by']}: {_chosen(d)}")
        if d["note"]:
            print(f"    note: {d['note']}")


def print_meeting(detail: dict[str, Any]) -> None:
    print(f"meeting {detail['ref']}: {detail['name']}, {detail['date']}")
    for person in detail["attendees"]:
        print(f"  attending: {person['role']}: {person['name']}")
    if not detail["cases"]:
        print("no cases on the list")
    for number, case in enumerate(detail["cases"], 1):
        result = case["assessment"]
        options = ", ".join(o["id"] for o in result["options"]) or "none"
        print(f"{number}. {case['ref']} {case['case_id'] or ''} ({result['disease']}, "
              f"{result['status']['state']}, as of {case['as_of']})")
        print(f"   suggested: {options}")
        for d in case["decisions"]:
            print(f"   decided {d['decided_at']} by {d['decided_by']}: {_chosen(d)}")
