"""Private files without touching folders that are not ours; stored state validated when read.

* every kind of file we write (journal, result store, checkpoint, history CSV, plot) is 0600,
  folders we create are 0700, and an existing folder (a sticky 1777 one, a 0755 one) keeps
  its mode;
* a corrupt result-cache row is a logged miss, dropped and rewritten; a corrupt journal row
  raises ``JournalError`` naming the file and the fix; a malformed checkpoint, or one from
  another run (config, device, data), raises ``CheckpointError`` saying what is wrong.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import stat

import numpy as np
import pennylane as qp
import pytest

from pennylane_qnative import QuantumModel, QuantumTrainer, TrainingConfig
from pennylane_qnative._files import private_dir, private_file
from pennylane_qnative.devices.ionq_results import Distribution
from pennylane_qnative.emulator import running
from pennylane_qnative.exceptions import CheckpointError, JournalError
from pennylane_qnative.execution.cache import QuantumCircuitCache
from pennylane_qnative.execution.job_manager import CircuitBatchManager
from pennylane_qnative.execution.journal import SCHEMA_VERSION, Journal
from pennylane_qnative.execution.result_store import ResultStore
from pennylane_qnative.training.checkpoint import save_checkpoint
from pennylane_qnative.training.tracker import PerformanceTracker


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write_journal(folder):
    with Journal(folder / "journal.sqlite") as journal:
        journal.open_batch("d", spans=[(0, 1)], n_circuits=1)
    return folder / "journal.sqlite"


def write_store(folder):
    store = ResultStore(folder / "results.sqlite")
    store.put("k", {"p": [1.0]})
    store.close()
    return folder / "results.sqlite"


def write_checkpoint(folder):
    save_checkpoint(folder / "checkpoint.json", {"step": 1})
    return folder / "checkpoint.json"


def write_csv(folder):
    return PerformanceTracker().to_csv(folder / "history.csv")


def write_plot(folder):
    tracker = PerformanceTracker()
    tracker.log_batch(epoch=0, step=0, loss=1.0, circuits=2)
    return tracker.plot_history(folder / "history.png")


WRITERS = [
    pytest.param(write_journal, id="journal"),
    pytest.param(write_store, id="result-store"),
    pytest.param(write_checkpoint, id="checkpoint"),
    pytest.param(write_csv, id="history-csv"),
    pytest.param(write_plot, id="plot"),
]


class TestFileModes:
    """Files 0600; folders we create 0700; folders we did not create keep their mode."""

    @pytest.mark.parametrize("folder_mode", [0o1777, 0o755], ids=["sticky-1777", "0755"])
    @pytest.mark.parametrize("write", WRITERS)
    def test_existing_folder_keeps_its_mode(self, tmp_path, write, folder_mode):
        """Writing into a shared folder never chmods it; the file is 0600."""
        folder = tmp_path / "shared"
        folder.mkdir()
        folder.chmod(folder_mode)
        path = write(folder)
        assert mode(folder) == folder_mode
        assert mode(path) == 0o600

    @pytest.mark.parametrize("write", WRITERS)
    def test_created_folders_are_0700(self, tmp_path, write):
        """Every folder we create on the way is 0700 (the parent of them keeps its mode)."""
        tmp_path.chmod(0o755)
        folder = tmp_path / "a" / "b"
        path = write(folder)
        assert (mode(tmp_path), mode(tmp_path / "a"), mode(folder), mode(path)) == (
            0o755,
            0o700,
            0o700,
            0o600,
        )

    def test_wider_file_we_own_is_tightened(self, tmp_path):
        """An existing file of ours with mode 0644 becomes 0600; its folder is untouched."""
        tmp_path.chmod(0o755)
        path = tmp_path / "journal.sqlite"
        path.touch(mode=0o644)
        path.chmod(0o644)
        write_journal(tmp_path)
        assert (mode(path), mode(tmp_path)) == (0o600, 0o755)

    def test_trainer_output_dir_dot_keeps_cwd_mode(self, tmp_path, monkeypatch):
        """``output_dir="."``: checkpoint and history are 0600, the current folder keeps 0755."""
        tmp_path.chmod(0o755)
        monkeypatch.chdir(tmp_path)
        config = TrainingConfig(n_qubits=2, circuit_depth=1, epochs=1, batch_size=4, seed=1)
        X, y = _data(4)
        trainer = QuantumTrainer(config, "qnative.simulator", output_dir=".", progress=False)
        trainer.fit(QuantumModel.from_config(config), X, y)
        assert mode(tmp_path) == 0o755
        assert mode(tmp_path / "checkpoint.json") == 0o600
        assert mode(tmp_path / "history.csv") == 0o600

    def test_private_dir_is_idempotent(self, tmp_path):
        """An existing folder is returned as it is."""
        tmp_path.chmod(0o750)
        assert private_dir(tmp_path) == tmp_path
        assert mode(tmp_path) == 0o750
        assert mode(private_file(tmp_path / "x")) == 0o600


def _data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, np.pi, (n, 2))
    return X, (X[:, 0] > np.pi / 2).astype(int)


def _rows(path, sql: str, *args) -> None:
    with sqlite3.connect(path) as db:
        db.execute(sql, args)


class TestResultStoreRows:
    """A corrupt cache row is a logged miss and is dropped; a good one is served."""

    @pytest.mark.parametrize(
        "sql",
        [
            pytest.param("UPDATE results SET value = '{\"p\": [0.4' ", id="truncated-json"),
            pytest.param("UPDATE results SET value = '{\"p\": [0.9]}'", id="checksum-mismatch"),
            pytest.param("UPDATE results SET value = x'00ff'", id="blob"),
        ],
    )
    def test_corrupt_row_is_a_logged_miss(self, tmp_path, caplog, sql):
        """The row is dropped with a warning naming the file; the next put rewrites it."""
        path = tmp_path / "results.sqlite"
        store = ResultStore(path)
        store.put("k", {"p": [0.5]})
        _rows(path, sql)
        with caplog.at_level(logging.WARNING):
            assert store.get("k") is None
        assert str(path) in caplog.text
        assert len(store) == 0
        store.put("k", {"p": [0.5]})
        assert store.get("k") == {"p": [0.5]}

    def test_row_without_checksum_is_served(self, tmp_path):
        """Rows of earlier releases (no checksum) still decode."""
        path = tmp_path / "results.sqlite"
        store = ResultStore(path)
        store.put("k", {"p": [0.5]})
        _rows(path, "UPDATE results SET checksum = NULL")
        assert store.get("k") == {"p": [0.5]}


def _distribution_cache(path) -> QuantumCircuitCache:
    return QuantumCircuitCache(
        finite_shots="reuse",
        store=ResultStore(path),
        codec=(Distribution.to_json, Distribution.from_json),
    )


class TestCacheCodecValidation:
    """JSON-valid rows that are not what the codec writes are misses, never results."""

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param({"p": "x"}, id="missing-keys"),
            pytest.param({"n": 1, "i": [0], "p": "x"}, id="string-probs"),
            pytest.param({"n": 1, "i": [0], "p": [1.0], "extra": 1}, id="extra-key"),
            pytest.param({"n": "1", "i": [0], "p": [1.0]}, id="string-size"),
            pytest.param([1, 2], id="a-list"),
        ],
    )
    def test_wrong_shape_is_a_miss(self, tmp_path, caplog, value):
        """Decoded through the codec: a logged miss, the row dropped."""
        cache = _distribution_cache(tmp_path / "results.sqlite")
        cache.store.put("key", value)
        with caplog.at_level(logging.WARNING):
            assert cache.get("key") is None
        assert "invalid result" in caplog.text
        assert len(cache.store) == 0

    def test_good_row_is_a_hit(self, tmp_path):
        """What the codec wrote comes back equal."""
        path = tmp_path / "results.sqlite"
        dist = Distribution(np.array([0, 1]), np.array([0.25, 0.75]), 1)
        _distribution_cache(path).put("key", dist)
        got = _distribution_cache(path).get("key")
        np.testing.assert_array_equal(got.probs, dist.probs)

    def test_device_rewrites_corrupt_rows(self, tmp_path, caplog):
        """qnative.ionq with every cached row corrupted: same results, rows rewritten."""
        with running(seed=2) as url:

            def value(seed_dir):
                dev = qp.device(
                    "qnative.ionq",
                    wires=2,
                    api_key="k",
                    api_url=url + "/v0.4",
                    cache_path=str(tmp_path / "results.sqlite"),
                    journal_path=str(tmp_path / seed_dir / "journal.sqlite"),
                )

                @qp.qnode(dev)
                def circuit(x):
                    qp.RX(x, 0)
                    qp.CNOT([0, 1])
                    return qp.probs(wires=[0, 1])

                return circuit(0.3)

            first = value("a")
            _rows(tmp_path / "results.sqlite", 'UPDATE results SET value = \'{"p": "x"}\'')
            with caplog.at_level(logging.WARNING):
                second = value("b")
            third = value("c")
        np.testing.assert_allclose(second, first)
        np.testing.assert_allclose(third, first)
        assert "a miss" in caplog.text  # the checksum caught it
        with sqlite3.connect(tmp_path / "results.sqlite") as db:
            (text,) = db.execute("SELECT value FROM results").fetchone()
        assert set(json.loads(text)) == {"n", "i", "p"}


class TestJournalRows:
    """A corrupt journal row raises JournalError naming the file and the fix."""

    def journal(self, tmp_path):
        path = tmp_path / "journal.sqlite"
        with Journal(path) as journal:
            journal.open_batch("digest-1", spans=[(0, 2)], n_circuits=2)
            journal.claim("digest-1", 0, owner=journal.new_owner())
            journal.record_job("digest-1", 0, "job-1")
            journal.record_results("job-1", [{0: 1.0}, {3: 1.0}])
        return path

    @pytest.mark.parametrize(
        "sql",
        [
            pytest.param("UPDATE chunks SET results = '[{\"0\": 1.0'", id="truncated-json"),
            pytest.param("UPDATE chunks SET results = '[{\"0\": 1.0}]'", id="too-few-results"),
            pytest.param("UPDATE chunks SET results = '[{\"0\": 7}, {}]'", id="probability-7"),
            pytest.param("UPDATE chunks SET results = '{\"0\": 1}'", id="not-a-list"),
            pytest.param("UPDATE chunks SET state = 'bogus'", id="unknown-state"),
            pytest.param("UPDATE chunks SET job_id = NULL", id="completed-without-job"),
            pytest.param("UPDATE chunks SET start = 'x'", id="text-start"),
            pytest.param("UPDATE chunks SET client_id = ''", id="empty-client-id"),
        ],
    )
    def test_corrupt_row(self, tmp_path, sql):
        """Reading the batch raises JournalError (not JSONDecodeError/KeyError/ValueError)."""
        path = self.journal(tmp_path)
        _rows(path, sql)
        with Journal(path) as journal, pytest.raises(JournalError) as info:
            journal.batch("digest-1")
        message = str(info.value)
        assert str(path) in message
        assert "qnative jobs list" in message
        assert "digest-1"[:12] in message
        with Journal(path) as journal:  # what `qnative jobs list` reads still works
            assert journal.recent()[0]["job_id"] in ("job-1", None)

    def test_corrupt_row_stops_a_batch_before_paying(self, tmp_path):
        """Through the job manager: JournalError, and no job is created."""
        with (
            running(seed=1) as url,
            CircuitBatchManager(
                api_key="k", api_url=url + "/v0.4", journal_path=tmp_path / "j.sqlite"
            ) as manager,
        ):
            bell = {"qubits": 1, "circuit": [{"gate": "h", "target": 0}]}
            manager.execute_batch([bell], shots=100)
            _rows(tmp_path / "j.sqlite", "UPDATE chunks SET results = 'garbage'")
            with pytest.raises(JournalError, match="Move the file aside"):
                manager.execute_batch([bell], shots=100)
            assert manager.client.requests_sent.get("create") == 1

    def test_not_a_database(self, tmp_path):
        """A file that is not sqlite: JournalError naming the file and the fix."""
        path = tmp_path / "journal.sqlite"
        path.write_bytes(b"this is not a database, just text" * 100)
        with pytest.raises(JournalError, match="Move the file aside") as info:
            Journal(path)
        assert str(path) in str(info.value)

    def test_schema_version(self, tmp_path):
        """The file carries its schema version; a newer one is refused, an old one upgraded."""
        path = self.journal(tmp_path)
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
            db.execute("PRAGMA user_version = 0")
        with Journal(path) as journal:  # a file of an earlier release
            assert journal.batch("digest-1")[0].job_id == "job-1"
        with sqlite3.connect(path) as db:
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        with pytest.raises(JournalError, match="newer"):
            Journal(path)


CONFIG = TrainingConfig(n_qubits=2, circuit_depth=1, epochs=2, batch_size=4, seed=3)


def _fit(output_dir, *, X=None, y=None, config=CONFIG, resume=False, **kwargs):
    X, y = _data(8) if X is None else (X, y)
    trainer = QuantumTrainer(config, "qnative.simulator", output_dir=output_dir, progress=False)
    model = QuantumModel.from_config(config)
    trainer.fit(model, X, y, resume=resume, **kwargs)
    return model


def _edit(path, change) -> None:
    state = json.loads(path.read_text())
    change(state)
    path.write_text(json.dumps(state))


def _set(key, value):
    return lambda state: state.__setitem__(key, value)


def _drop(key):
    return lambda state: state.pop(key)


class TestCheckpoints:
    """Malformed or foreign checkpoints are refused, saying what is wrong."""

    @pytest.fixture
    def run_dir(self, tmp_path):
        _fit(tmp_path, epochs=1)
        return tmp_path

    @pytest.mark.parametrize(
        ("change", "what"),
        [
            pytest.param(_drop("parameters"), "missing 'parameters'", id="missing-parameters"),
            pytest.param(_drop("optimizer"), "missing 'optimizer'", id="missing-optimizer"),
            pytest.param(_set("parameters", "x"), "'parameters' must be", id="text-parameters"),
            pytest.param(_set("parameters", [[1.0], [2.0, 3.0]]), "'parameters'", id="ragged"),
            pytest.param(_set("step", -1), "'step' must be", id="negative-step"),
            pytest.param(_set("epoch", "1"), "'epoch' must be", id="text-epoch"),
            pytest.param(_set("tracker", {"rows": 3}), "'tracker' must be", id="tracker"),
            pytest.param(_set("optimizer", {"type": "nope"}), "KeyError", id="unknown-optimizer"),
            pytest.param(_set("config", []), "'config' must be", id="config-list"),
            pytest.param(_set("config", {"n_qubits": "x"}), "malformed", id="config-bad"),
            pytest.param(_set("parameters", [0.1, 0.2]), "parameters shape", id="wrong-shape"),
            pytest.param(_set("version", 99), "version 99", id="future-version"),
        ],
    )
    def test_malformed(self, run_dir, change, what):
        """CheckpointError naming the file and the problem; never AttributeError/KeyError."""
        _edit(run_dir / "checkpoint.json", change)
        with pytest.raises(CheckpointError) as info:
            _fit(run_dir, resume=True)
        assert str(run_dir / "checkpoint.json") in str(info.value)
        assert what in str(info.value)

    @pytest.mark.parametrize(
        "text", [b"{not json", b"[1, 2]", b"\xff\xfe"], ids=["not-json", "a-list", "not-utf8"]
    )
    def test_unreadable(self, run_dir, text):
        """A file that is not a JSON object: CheckpointError."""
        (run_dir / "checkpoint.json").write_bytes(text)
        with pytest.raises(CheckpointError, match="checkpoint"):
            _fit(run_dir, resume=True)

    @pytest.mark.parametrize(
        ("data", "what"),
        [
            pytest.param(_data(12), "data samples: 8 -> 12", id="more-samples"),
            pytest.param(_data(8, seed=9), "data sha256", id="other-values"),
        ],
    )
    def test_other_data_refused(self, run_dir, data, what):
        """Another data set (size or content) is refused with what differs."""
        with pytest.raises(CheckpointError, match="does not match") as info:
            _fit(run_dir, X=data[0], y=data[1], resume=True)
        assert what in str(info.value)

    def test_other_device_refused(self, run_dir):
        """A device whose results differ (another backend) is refused, naming it."""
        trainer = QuantumTrainer(
            CONFIG,
            "qnative.simulator",
            output_dir=run_dir,
            progress=False,
            device_kwargs={"backend": "lightning.qubit"},
        )
        with pytest.raises(CheckpointError, match="device backend"):
            trainer.fit(QuantumModel.from_config(CONFIG), *_data(8), resume=True)

    def test_config_difference_named(self, run_dir):
        """A changed learning rate is named with both values."""
        changed = TrainingConfig(**{**CONFIG.to_dict(), "learning_rate": 0.5})
        with pytest.raises(CheckpointError, match="learning_rate"):
            _fit(run_dir, config=changed, resume=True)

    def test_legacy_checkpoint_accepted_with_warning(self, tmp_path, caplog):
        """A checkpoint without device and data identity resumes, with a warning, exactly."""
        full = _fit(tmp_path / "full")
        _fit(tmp_path / "old", epochs=1)
        _edit(tmp_path / "old" / "checkpoint.json", lambda s: (s.pop("device"), s.pop("data")))
        with caplog.at_level(logging.WARNING):
            resumed = _fit(tmp_path / "old", resume=True)
        assert "predates" in caplog.text
        np.testing.assert_array_equal(
            resumed.quantum_layer.parameters, full.quantum_layer.parameters
        )
