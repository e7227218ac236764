package web

// routesOffices registers the project-office pages (staff positions, turnover).
func (s *Server) routesOffices() {}

// routesAPIOffices registers the office endpoints of the JSON API.
func (s *Server) routesAPIOffices() {}
