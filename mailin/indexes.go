package mailin

import (
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/store"
)

// Indexes are mailin's secondary indexes. The hot paths (cursor, ledger,
// raw index, attempts) are _id lookups and need none.
func Indexes() []store.Index {
	return []store.Index{
		{Collection: QuarantineCollection, Model: mongo.IndexModel{Keys: bson.D{{Key: "state", Value: 1}, {Key: "at", Value: -1}}}},
	}
}
