package parse

import "testing"

func TestGuessLang(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"Hola, no puedo entrar a mi cuenta de correo. Gracias.", "es"},
		{"Hello, I cannot log in to my email account. Thanks for your help.", "en"},
		{"", "es"},
		{"12345 ###", "es"},
		{"Hi team, the website is down since this morning. Please check it.", "en"},
		{"Buenas tardes, el sitio está caído desde la mañana.", "es"},
	} {
		if got := GuessLang(c.text); got != c.want {
			t.Errorf("GuessLang(%q) = %s, want %s", c.text, got, c.want)
		}
	}
}
