package relay

import (
	"errors"
	"fmt"
	"testing"
)

// openTestStore opens a bbolt queue on a fresh directory.
func openTestStore(t *testing.T) *store {
	t.Helper()
	st, err := openStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.close() })
	return st
}

func TestGroupCommitContract(t *testing.T) {
	st := openTestStore(t)
	var q queue = st
	lim := queueLimit{max: 2, err: errUnverifiedFull}
	msg := func(i int, queued int64) pendingMsg {
		return pendingMsg{kiosk: "k2", dedupe: fmt.Sprintf("b:%d", i), body: []byte(fmt.Sprintf("<xml>%d</xml>", i)), at: int64(i), queued: queued, limit: lim}
	}

	// One commit: two stored, a duplicate recognised, the third refused by
	// the limit without failing the others.
	gc := &groupCommit{msgs: []pendingMsg{msg(1, 0), msg(1, 0), msg(2, 0), msg(3, 0)}}
	if err := q.commit(gc); err != nil {
		t.Fatal(err)
	}
	want := []ingestResult{{seq: 1}, {dup: true}, {seq: 2}, {err: errUnverifiedFull}}
	for i, r := range gc.results {
		if r.seq != want[i].seq || r.dup != want[i].dup || !errors.Is(r.err, want[i].err) {
			t.Errorf("result %d = %+v, want %+v", i, r, want[i])
		}
	}

	// An acknowledgement in the same commit makes room first.
	gc = &groupCommit{acks: map[string]uint64{"k2": 1}, msgs: []pendingMsg{msg(3, 2)}}
	if err := q.commit(gc); err != nil {
		t.Fatal(err)
	}
	if gc.deleted["k2"] != 1 || gc.results[0].seq != 3 || gc.results[0].err != nil {
		t.Errorf("deleted %v, result %+v; want 1 deleted and seq 3 stored", gc.deleted, gc.results[0])
	}
	recs, err := q.readAfter("k2", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].seq != 2 || recs[1].seq != 3 || string(recs[1].body) != "<xml>3</xml>" {
		t.Errorf("queue after the ack = %+v, want seqs 2 and 3", recs)
	}
	states, err := q.states()
	if err != nil {
		t.Fatal(err)
	}
	if ks := states["k2"]; ks.acked != 1 || ks.last != 3 || ks.queued != 2 {
		t.Errorf("state = %+v, want acked 1, last 3, queued 2", ks)
	}

	// A closed store fails the whole commit and answers nothing.
	if err := q.close(); err != nil {
		t.Fatal(err)
	}
	gc = &groupCommit{msgs: []pendingMsg{msg(4, 2)}}
	if err := q.commit(gc); err == nil {
		t.Error("commit on a closed store succeeded")
	}
	if q.check() == nil {
		t.Error("check on a closed store succeeded")
	}
}
