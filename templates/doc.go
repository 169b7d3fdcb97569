// Package templates owns every email Turno sends: subject, HTML and text bodies
// in Spanish (default) and English, with embedded defaults that an operator can
// override file by file.
package templates
