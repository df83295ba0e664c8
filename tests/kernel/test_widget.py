"""%widget on: cells run with allTactics and the kernel hosts a goal widget (ipywidgets
over comms it wires itself); %widget off: the static output only.

Recorded allTactics commands (v4.33.0-rc2): all_tactics.in
``def f : Nat := by have t := 37; exact t``. With the widget off, self_proof_check.in's
``theorem ex : False := by sorry`` (recorded without allTactics).
"""

from __future__ import annotations

import time

from .conftest import read_log

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
TWO_STEPS = "def f : Nat := by have t := 37; exact t"


def models(execution, name: str) -> list[dict]:
    return [
        m["content"]
        for m in execution.messages
        if m["msg_type"] == "comm_open" and m["content"]["data"]["state"].get("_model_name") == name
    ]


def test_widget_on_opens_comms_and_displays_the_widget(kernel, log_path):
    assert "goal widget on" in kernel.run("%widget on").text
    try:
        kernel.run("%reset")
        result = kernel.run(TWO_STEPS)
        assert result.status == "ok"
        assert read_log(log_path)[-1] == {"cmd": TWO_STEPS, "allTactics": True}

        opens = result.of_type("comm_open")
        assert opens and all(o["target_name"] == "jupyter.widget" for o in opens)
        views = [d for d in result.displays if WIDGET_VIEW in d["data"]]
        assert len(views) == 1
        bundle = views[0]["data"]
        box = models(result, "VBoxModel")
        assert bundle[WIDGET_VIEW]["model_id"] in {b["comm_id"] for b in box}
        # Fallbacks in the same bundle for frontends without widgets and saved notebooks.
        assert "lean-proof-steps" in bundle["text/html"] and "2 tactic steps" in bundle["text/html"]
        assert "have t := 37" in bundle["text/plain"]
        # The cell's own result is displayed too, before the widget.
        assert WIDGET_VIEW not in result.displays[0]["data"]
        assert "tactics (2)" in result.displays[0]["data"]["text/html"]

        # Drive it like the frontend does: move the slider; the kernel updates the panes.
        slider = models(result, "IntSliderModel")[0]["comm_id"]
        msg = kernel.kc.session.msg(
            "comm_msg", {"comm_id": slider, "data": {"method": "update", "state": {"value": 1}, "buffer_paths": []}}
        )
        kernel.kc.shell_channel.send(msg)
        updates = kernel.iopub_until_idle(msg["header"]["msg_id"], deadline=time.monotonic() + 20)
        values = [
            str(u["content"]["data"].get("state", {}).get("value", "")) for u in updates if u["msg_type"] == "comm_msg"
        ]
        assert any("step 2 of 2" in v for v in values)
        assert any('lean-hyp-name">t</span>' in v for v in values)  # goals before `exact t`: t : Nat
    finally:
        kernel.run("%widget off")


def test_widget_off_shows_static_output_only(kernel, log_path):
    assert "goal widget off" in kernel.run("%widget off").text
    kernel.run("%reset")
    result = kernel.run("theorem ex : False := by sorry")
    assert result.status == "ok"
    assert read_log(log_path)[-1] == {"cmd": "theorem ex : False := by sorry"}  # no allTactics
    assert not result.of_type("comm_open")
    assert all(WIDGET_VIEW not in d["data"] for d in result.displays)
    assert "⊢ False" in result.html


def test_widget_magic_rejects_other_words(kernel):
    result = kernel.run("%widget maybe")
    assert result.status == "error" and "%widget wants on or off" in result.reply["content"]["evalue"]
    assert "goal widget off" in kernel.run("%widget").text


def test_comm_open_for_an_unknown_target_is_closed(kernel):
    # A frontend opens a comm to a target nobody registered: the kernel must close it on
    # the wire, or the frontend keeps a comm that is dead. On ipykernel < 6.18 only
    # ipykernel's own comm manager does that (the `comm` package's sends nothing there).
    msg = kernel.kc.session.msg(
        "comm_open", {"comm_id": "frontend-comm-1", "target_name": "no.such.target", "data": {}}
    )
    kernel.kc.shell_channel.send(msg)
    answers = kernel.iopub_until_idle(msg["header"]["msg_id"], deadline=time.monotonic() + 20)
    assert [(m["msg_type"], m["content"]["comm_id"]) for m in answers] == [("comm_close", "frontend-comm-1")]
