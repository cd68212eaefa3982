#!/usr/bin/env bash
# A deliberately broken feature set, run the way a QA engineer would, and its reports:
#   bash scripts/report_demo.sh [OUT]        (default OUT: reports/demo)
# 1. copies the project's specs to OUT/project and adds two .feature files with the mistakes a
#    new QA makes: a misspelt keyword and an empty scenario (qa_typos.feature); two undefined
#    steps, a failing step and a failing browser step (qa_checks.feature);
# 2. runs pytest as is (the run stops at collection, naming file and line, and lists the
#    undefined steps), then again with --continue-on-collection-errors and every report;
# 3. renders the Cucumber JSON with the standard reporter (tools/cucumber-reporter) and prints
#    its counts beside pytest's;
# 4. writes a screenshot of the living documentation (OUT/living-doc.png).
# Needs scripts/setup.sh to have run (and node for step 3). Takes about a minute.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
OUT="$(realpath -m "${1:-reports/demo}")"
PY="$ROOT/.venv/bin/python"
rm -rf "$OUT" && mkdir -p "$OUT/project"
cp "$ROOT"/conftest.py "$ROOT"/scenarios.yaml "$ROOT"/pyproject.toml "$OUT/project/"
cp -r "$ROOT/steps" "$ROOT/features" "$OUT/project/"
find "$OUT/project" -name __pycache__ -prune -exec rm -rf {} +

cat > "$OUT/project/features/qa_typos.feature" <<'FEATURE'
Feature: A QA's typos
  Scenerio: The keyword is misspelt
    Given the pool offers optional MFA with authenticator apps only

  Scenario: Nothing to check
FEATURE

cat > "$OUT/project/features/qa_checks.feature" <<'FEATURE'
Feature: Checks a QA added
  A first feature file written from `cognito-harness steps`, with the mistakes of issue 6.

  Rule: Existing users need no code
    Scenario: The admin signs in without a code
      Given the pool offers optional MFA with authenticator apps only
      When "admin" signs in with email and password
      Then "admin" receives tokens without any challenge

  Rule: What a QA reached for
    Scenario: Two steps nobody wrote
      Given the pool offers optional MFA with authenticator apps only
      When "admin" dances with the refresh token
      Then "admin" sings the authenticator's code

    Scenario: A step that fails
      Given the pool offers optional MFA with authenticator apps only
      When "demo" signs in with a wrong password
      Then "demo" receives tokens
      And "demo" receives tokens without any challenge

    @browser
    Scenario: The managed login's message, as the QA remembered it
      When "demo" signs in through the managed login with a wrong password
      Then the managed login shows "Wrong password."
FEATURE

cd "$OUT/project"
echo "=== 1. pytest features   (as a QA runs it)"
"$PY" -m pytest features -p no:cacheprovider 2>&1 | tee "$OUT/run-default.txt" | tail -n 25
echo
echo "=== 2. pytest features --continue-on-collection-errors --cucumberjson --junitxml --living-doc"
"$PY" -m pytest features -p no:cacheprovider --continue-on-collection-errors \
    --cucumberjson="$OUT/cucumber.json" --junitxml="$OUT/junit.xml" --living-doc="$OUT/specs.html" \
    2>&1 | tee "$OUT/run-reports.txt" | tail -n 60
PYTEST_LINE="$(grep -E '^=+ .*(passed|failed|error).* in [0-9.]+s' "$OUT/run-reports.txt" | tail -n 1 | sed 's/=//g; s/^ *//; s/ *$//')"
cd "$ROOT"

echo
echo "=== 3. the Cucumber JSON rendered by multiple-cucumber-html-reporter"
if command -v node >/dev/null 2>&1 && [ -d tools/cucumber-reporter/node_modules ]; then
    node tools/cucumber-reporter/render.js "$OUT/cucumber.json" "$OUT/cucumber-html" > "$OUT/reporter.json"
    "$PY" - "$OUT/reporter.json" "$PYTEST_LINE" <<'PYCODE'
import json, re, sys
shown = json.load(open(sys.argv[1]))
said = {k: int(n) for n, k in re.findall(r"(\d+) (\w+)", sys.argv[2])}
said["errors"] = said.pop("error", 0) + said.pop("errors", 0)
s, st = shown["scenarios"], shown["steps"]
print(f"{'':38}{'pytest':>8}{'Cucumber reporter':>20}")
print(f"{'scenarios passed':38}{said.get('passed', 0):>8}{s['passed']:>20}")
print(f"{'failed + errors | failed + undef.':38}{said.get('failed', 0) + said['errors']:>8}{s['failed'] + s['notDefined']:>20}")
print(f"{'   reporter: failed':38}{'':>8}{s['failed']:>20}")
print(f"{'   reporter: undefined (not defined)':38}{'':>8}{s['notDefined']:>20}")
print(f"{'skipped':38}{said.get('skipped', 0):>8}{s['skipped']:>20}")
print(f"{'total':38}{sum(said.values()):>8}{s['total']:>20}")
print(f"steps in the reporter: {st}")
print(f"pytest said: {sys.argv[2]}")
PYCODE
    echo "reporter's HTML: $OUT/cucumber-html/index.html"
else
    echo "node or tools/cucumber-reporter/node_modules missing: run scripts/setup.sh"
fi

echo
echo "=== 4. the living documentation"
"$PY" docs/make_report_screenshot.py "$OUT/specs.html" --out "$OUT" --failed
echo "report: $OUT/specs.html"
