package web

// routesTransfer registers CSV/XLSX import and export of units and partners.
func (s *Server) routesTransfer() {}
