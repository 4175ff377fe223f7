#!/usr/bin/env python3
"""Drives `cds repl` through a pseudo-terminal (pexpect), as a person would: typing,
tab completion, an error, a what-if, quitting, then history recalled in a new session;
Ctrl-C cancelling a half-typed line, history kept when the session is killed, and
non-ASCII text typed in a UTF-8 locale. Also the other commands a person watches at a
terminal: the progress bar of `cds evaluate --batch`, the readiness line of `cds serve`."""
import json
import os
import re
import sys
import tempfile

import pexpect

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CDS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/cds")
PROMPT = "cds> "
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

passed = failed = 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: {detail!r}")


state = tempfile.mkdtemp()
env = dict(os.environ, XDG_STATE_HOME=state, TERM="xterm")
env.pop("NO_COLOR", None)


def start(extra_env=None):
    child = pexpect.spawn(CDS, ["repl", "--as-of", "2026-03-02"], env=dict(env, **(extra_env or {})), encoding="utf-8", timeout=20, dimensions=(50, 200))
    child.expect_exact(PROMPT)
    return child


def run(child, line):
    child.sendline(line)
    child.expect_exact(PROMPT)
    return child.before


child = start()
check("banner", "Type 'help'" in child.before, child.before)

# Tab completes a command, then a field, then an enum value: only the completions make
# "se<Tab>patient.s<Tab>fe<Tab>" the command `set patient.sex female`.
child.send("se\t")
child.send("patient.s\t")
child.send("fe\t")
out = run(child, "")
check("completed command runs", 'patient.sex = "female"' in out, ANSI.sub("", out))

for line in ["set patient.age 34", "set assessmentDate 2026-03-02", "set symptoms.anteriorHipOrGroinPain true",
             "set symptoms.weaknessResistedHipFlexionInAbduction false", "set symptoms.clickingOrSnapping false",
             "set symptoms.painWithHipFlexionActivities true"]:
    run(child, line)

# Completion of Catalog ids.
child.send("explain initial.cr\t")
out = run(child, "")
check("explain after completion", "Cryotherapy" in out and "why (symptoms" in out, out)

# An error is one line and the session goes on.
out = run(child, "set patient.age -4")
lines = [l for l in ANSI.sub("", out).splitlines() if l.strip() and not l.startswith("set patient")]
check("error is one line", len(lines) == 1 and lines[0].startswith("error: /patient/age: must be"), lines)

out = run(child, "evaluate")
check("evaluate table", "strengthening.tier-low" in out and "RECOMMENDATION" in out, out)
check("colour on a terminal", "\x1b[32mrecommend" in out, out[:200])

out = run(child, 'whatif conservativeCare {"months": 5, "outcome": "not-improving"}')
check("what-if diff", "escalation.corticosteroid-injection defer -> consider" in ANSI.sub("", out), out)

child.sendline("quit")
child.expect(pexpect.EOF)
child.close()
check("quit exits 0", child.exitstatus == 0, child.exitstatus)
history = open(os.path.join(state, "cds", "history")).read().replace("\\040", " ")  # libedit escapes spaces
check("history saved", "whatif conservativeCare" in history, history[-300:])

# A new session recalls the previous commands with the up arrow.
child = start({"NO_COLOR": "1"})
child.send("\x1b[A\x1b[A")  # up arrow twice: past "quit" to the what-if of the previous session
out = run(child, "")
check("history recalled", "whatif conservativeCare {\"months\": 5" in out and "not valid yet" in out, ANSI.sub("", out))
out = run(child, "help evaluate")
check("help for one command", "usage: evaluate" in out, out)
out = run(child, "catalog escalation")
check("no colour with NO_COLOR", "\x1b[" not in out and "escalation.endoscopic-surgery" in out, out)
child.sendeof()
child.expect(pexpect.EOF)
child.close()
check("end of input leaves cleanly", child.exitstatus == 0, child.exitstatus)

# Ctrl-C cancels the line being typed, as in psql and ipython: the session, its case and
# its history go on.
child = start({"NO_COLOR": "1"})
run(child, "set patient.age 34")
child.send("set patient.age 99")
# Ctrl-C once the line is on the screen, as a person presses it: a SIGINT that arrives
# while the keys are still in flight is a different case (the terminal discards them).
child.expect_exact("set patient.age 99")
child.sendintr()
child.expect_exact(PROMPT)
check("Ctrl-C gives a fresh prompt", child.isalive(), child.before)
out = run(child, "show")
check("Ctrl-C dropped the half-typed line", '"age": 34' in out and "99" not in out, out)
child.sendintr()  # on an empty line too
child.expect_exact(PROMPT)
out = run(child, "set patient.sex male")
check("the session goes on after Ctrl-C", 'patient.sex = "male"' in out, out)

# History is written as each line is entered: a session killed outright keeps it.
history = open(os.path.join(state, "cds", "history")).read().replace("\\040", " ")
check("history written as you go", "set patient.sex male" in history and "99" not in history, history[-300:])
child.kill(9)
child.close()

# Non-ASCII typed at the terminal (UTF-8 locale) is kept, in the echo and in the case.
for locale_env in ({"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}, {"LANG": "", "LC_ALL": ""}):
    child = start(dict(locale_env, NO_COLOR="1"))
    out = run(child, "set caseId Zoë-患者-🦴")
    check(f"non-ASCII echoed and set ({locale_env['LANG'] or 'no locale'})", 'caseId = "Zoë-患者-🦴"' in out, out)
    out = run(child, "show")
    check(f"non-ASCII kept in the case ({locale_env['LANG'] or 'no locale'})", '"caseId": "Zoë-患者-🦴"' in out, out)
    child.send("set caseId Zoë")
    child.send("\x7fe")  # one backspace deletes one character (two bytes here), not a byte
    out = run(child, "")
    check("backspace over non-ASCII", 'caseId = "Zoe"' in out, out)
    child.sendline("quit")
    child.expect(pexpect.EOF)
    child.close()

# A narrow terminal: lines wrap at word boundaries to its width; output taller than the
# screen goes through $PAGER; a JSON value continues on a "...> " prompt; Tab on a
# directory completes with "/".
child = pexpect.spawn(CDS, ["repl", "--as-of", "2026-03-02", os.path.join(ROOT, "Tests/Vignettes/09-escalation-at-4-months.case.json")],
                      env=dict(env, NO_COLOR="1", PAGER=""), encoding="utf-8", timeout=20, dimensions=(60, 50), cwd=ROOT)
child.expect_exact(PROMPT)
out = ANSI.sub("", run(child, "explain initial.cryotherapy"))
body = [l for l in out.replace("\r", "").split("\n")[1:] if l]
check("wrapped to a 50-column terminal", body and all(len(l) <= 50 for l in body) and any(l.startswith("    pain and") or l.startswith("    ") for l in body), body)
child.send('set symptoms {"anteriorHipOrGroinPain": true, "weaknessResistedHipFlexionInAbduction": false,\r')
child.expect_exact("...> ")
out = run(child, '"clickingOrSnapping": true, "painWithHipFlexionActivities": false}')
check("continuation prompt for an open JSON value", '"painWithHipFlexionActivities":false}' in out.replace("\r\n", "").replace(" ", ""), out)
child.send('set conservativeCare {"months": 9,\r')
child.expect_exact("...> ")
child.sendintr()  # Ctrl-C on a continuation line drops the whole entry
child.expect_exact(PROMPT)
out = run(child, "show")
check("Ctrl-C on a continuation line drops the entry", '"months": 4' in out and '"months": 9' not in out, out)
child.send("load Tests/Vign\t")
child.expect_exact("ettes/")
child.send("09-escalation-at-4-months.case.js\t")  # straight on into the directory: no space after the /
out = run(child, "")
check("Tab on a directory completes with /", "loaded" in out and "09-escalation-at-4-months.case.json" in out, out)
child.sendline("quit")
child.expect(pexpect.EOF)
child.close()

child = pexpect.spawn(CDS, ["repl", "--as-of", "2026-03-02"], env=dict(env, NO_COLOR="1", PAGER="sed s/^/PAGED:/"), encoding="utf-8",
                      timeout=20, dimensions=(10, 120))
child.expect_exact(PROMPT)
out = run(child, "catalog")
check("pager when the output is taller than the screen", out.count("PAGED:") > 20 and "PAGED:RECOMMENDATION" in out, out[:300])
out = run(child, "help evaluate")
check("no pager when it fits", "PAGED:" not in out and "usage: evaluate" in out, out)
child.sendline("quit")
child.expect(pexpect.EOF)
child.close()

# Piped: no wrapping, no pager, whatever the width.
import subprocess
piped = subprocess.run([CDS, "repl", "--as-of", "2026-03-02"], input="catalog\n", capture_output=True, text=True, env=dict(env, PAGER="sed s/^/PAGED:/", COLUMNS="40"))
check("no pager when piped", "PAGED:" not in piped.stdout and "escalation.endoscopic-surgery" in piped.stdout, piped.stdout[:200])

# cds evaluate --batch with standard error at a terminal: a progress bar, then one summary line.
case = json.dumps(json.load(open(os.path.join(ROOT, "Tests/Vignettes/09-escalation-at-4-months.case.json"))))
batch = os.path.join(state, "batch.ndjson")
with open(batch, "w") as f:
    f.write((case + "\n") * 1500)
child = pexpect.spawn("/bin/sh", ["-c", f"'{CDS}' evaluate --batch --workers 1 '{batch}' > /dev/null"], env=env, encoding="utf-8", timeout=120)
child.expect(pexpect.EOF)
child.close()
err = child.before
check("batch progress bar at a terminal", re.search(r"\r\[[#.]{24}\] \d+%", err) and "cases/s" in err, err[-300:])
check("batch summary line", "\r\x1b[Kcds: batch: 1500 lines, 1500 evaluated, 0 failed, in " in err and child.exitstatus == 0, err[-300:])

# cds serve at a terminal says it is ready, what it speaks and how to stop, on standard error.
child = pexpect.spawn(CDS, ["serve"], env=env, encoding="utf-8", timeout=20)
child.expect_exact("is ready: JSON-RPC 2.0")
ready = child.before + child.after
child.expect_exact("Ctrl-D")
child.sendline('{"jsonrpc":"2.0","id":1,"method":"ping"}')
child.expect_exact('"id":1')
child.sendeof()
child.expect(pexpect.EOF)
child.close()
check("serve readiness line", ready.startswith("cds serve ") and child.exitstatus == 0, ready)

print(f"repl pty: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
