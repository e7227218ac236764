package web

// routesCommittees registers the steering-committee pages (committee, members, meetings).
func (s *Server) routesCommittees() {}

// routesAPICommittees registers the committee endpoints of the JSON API.
func (s *Server) routesAPICommittees() {}
