package parse

import (
	"strings"
	"unicode"
)

// Common short words of each language that the other rarely uses.
var (
	spanishWords = wordSet("el la los las de del que y en un una por para con no es se lo mi su al como pero más hola gracias favor necesito tengo ayuda correo saludos buenos buenas días mensaje cuenta clave")
	englishWords = wordSet("the and of to is in it you that for on with this my your are be have not please hello hi thanks thank need help email regards dear account password")
)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// GuessLang says whether text reads as Spanish ("es") or English ("en"),
// by counting common words of each; Spanish when unsure. It decides the
// language of automatic replies to senders Turno does not know.
func GuessLang(text string) string {
	var es, en int
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) }) {
		switch {
		case spanishWords[w]:
			es++
		case englishWords[w]:
			en++
		}
	}
	if en > es {
		return "en"
	}
	return "es"
}
