"""`training-operator local up` (what `local run` starts) over a state dir whose journal was damaged by
something else says so in one line naming the file and the line, exits 1, and leaves the file alone."""

from training_operator.unified import cli


def test_a_damaged_journal_is_one_line_and_left_alone(tmp_path, capsys):
    state = tmp_path / "state"
    state.mkdir()
    journal = state / "journal.jsonl"
    journal.write_bytes(b'["rv",4]\nnot json\n')

    code = cli.main(["local", "up", "--state-dir", str(state)])

    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1, err
    assert f"error: {journal}: line 2 is not a journal record" in err
    assert "Traceback" not in err
    assert journal.read_bytes() == b'["rv",4]\nnot json\n'
