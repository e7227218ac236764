package results

import (
	"context"

	"ting/internal/org"
)

// ActualRaw is the reference computation straight from the values, for tests to hold the
// rollups against.
func ActualRaw(ctx context.Context, s *Service, ind Indicator, unit org.Unit, p Period) (Figure, error) {
	return s.actualRaw(ctx, s.db.R, ind, unit.Path+"%", p)
}
