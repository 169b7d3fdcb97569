package web

// sharedMessages are the layout's and the error pages' texts; a surface
// adds its own (Options.Messages) and may override these ("site.name").
var sharedMessages = map[string]map[string]string{
	"es": {
		"site.name":     "Turno",
		"layout.skip":   "Saltar al contenido",
		"layout.nav":    "Navegación principal",
		"layout.footer": "Por su seguridad, la sesión se cierra sola tras unas horas.",
		"nav.data":      "Mis datos",
		"nav.logout":    "Cerrar sesión",
		"error.title":   "No se pudo completar la solicitud",
		"error.home":    "Volver al inicio",
		"error.403":     "El formulario caducó o no vino de este sitio. Vuelva a la página, recárguela e inténtelo otra vez.",
		"error.404":     "La página que busca no existe.",
		"error.429":     "Demasiados intentos. Espere unos minutos antes de volver a intentarlo.",
		"error.other":   "Ocurrió un problema de nuestro lado. Inténtelo de nuevo en unos minutos.",
	},
	"en": {
		"site.name":     "Turno",
		"layout.skip":   "Skip to content",
		"layout.nav":    "Main navigation",
		"layout.footer": "For your security, your session ends by itself after a few hours.",
		"nav.data":      "My details",
		"nav.logout":    "Log out",
		"error.title":   "The request could not be completed",
		"error.home":    "Back to the start",
		"error.403":     "The form expired or did not come from this site. Go back, reload the page and try again.",
		"error.404":     "The page you are looking for does not exist.",
		"error.429":     "Too many attempts. Wait a few minutes before trying again.",
		"error.other":   "Something went wrong on our side. Try again in a few minutes.",
	},
}
