"""Tests of sqlite persistence (pennylane_qnative.emulator.job_store)."""

from __future__ import annotations

from pennylane_qnative.emulator.job_store import JobStore


def rec(job_id, seq, parent=None, payload="h"):
    """A minimal record."""
    return {"id": job_id, "seq": seq, "parent_job_id": parent, "payload_hash": payload}


class TestJobStore:
    """Insert, read, update, delete, counts."""

    def test_roundtrip_and_results(self):
        """Records and results come back as stored."""
        store = JobStore()
        store.insert([rec("a", 1)], {"a": {"probabilities": {"0": 1.0}}})
        assert store.get("a")["seq"] == 1
        assert store.results("a") == {"probabilities": {"0": 1.0}}
        assert store.get("missing") is None
        assert store.results("missing") is None

    def test_next_seq(self):
        """Sequence numbers continue after the largest stored one."""
        store = JobStore()
        assert store.next_seq() == 1
        store.insert([rec("a", 1), rec("b", 7)], {})
        assert store.next_seq() == 8

    def test_delete_keeps_counts(self):
        """Deleted jobs disappear from reads but still count as created."""
        store = JobStore()
        store.insert([rec("p", 1), rec("c1", 1, "p"), rec("c2", 1, "p")], {})
        store.delete(["p", "c1", "c2"])
        assert store.get("p") is None
        counts = store.counts()
        assert counts["jobs_created"] == 1
        assert counts["child_jobs_created"] == 2
        assert counts["jobs_deleted"] == 1

    def test_duplicate_payloads(self):
        """Top-level jobs with the same payload hash are counted as duplicates."""
        store = JobStore()
        store.insert([rec("a", 1, payload="x")], {})
        store.insert([rec("b", 2, payload="x")], {})
        store.insert([rec("c", 3, payload="y")], {})
        assert store.counts()["duplicate_payloads"] == 1

    def test_iter_newest_first(self):
        """Listing is newest first, children after their parent, filterable by parent."""
        store = JobStore()
        store.insert([rec("old", 1)], {})
        store.insert([rec("p", 2), rec("c1", 2, "p"), rec("c2", 2, "p")], {})
        assert [r["id"] for r in store.iter_records()] == ["p", "c1", "c2", "old"]
        assert [r["id"] for r in store.iter_records(parent_job_id="p")] == ["c1", "c2"]
        assert [r["id"] for r in store.iter_records(before_seq=2)] == ["old"]

    def test_update(self):
        """update() rewrites a record."""
        store = JobStore()
        store.insert([rec("a", 1)], {})
        store.update(rec("a", 1) | {"canceled_at": 5.0})
        assert store.get("a")["canceled_at"] == 5.0

    def test_file_persists_across_reopen(self, tmp_path):
        """A store reopened on the same file has the same jobs."""
        path = str(tmp_path / "jobs.sqlite")
        first = JobStore(path)
        first.insert([rec("a", 1)], {"a": {"probabilities": {"1": 1.0}}})
        first.close()
        second = JobStore(path)
        assert second.get("a")["id"] == "a"
        assert second.results("a") == {"probabilities": {"1": 1.0}}
        assert second.next_seq() == 2
        second.close()
