package memstore_test

import (
	"github.com/livevote/livevote/vote/memstore"
	"testing"

	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/votetest"
)

func TestMemoryStoreContract(t *testing.T) {
	s := memstore.New()
	votetest.Contract(t, func(*testing.T) vote.Store { return s })
}
