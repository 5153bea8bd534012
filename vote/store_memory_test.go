package vote_test

import (
	"testing"

	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/votetest"
)

func TestMemoryStoreContract(t *testing.T) {
	s := vote.NewMemoryStore()
	votetest.Contract(t, func(*testing.T) vote.Store { return s })
}
