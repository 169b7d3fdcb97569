package taxid

import "fmt"

// rfc validates a Mexican RFC (Registro Federal de Contribuyentes).
//
// A persona moral has 12 characters (3 letters, AAA######XXX), a persona
// física 13 (4 letters, AAAA######XXX). The letters may include Ñ and &;
// the six digits are a real date YYMMDD; the last three are the homoclave,
// whose last character is a módulo 11 check digit (0-9 or A). The SAT has
// issued RFCs whose check digit does not match, so a mismatch is a warning,
// not an error. The generic RFCs XAXX010101000 (público en general) and
// XEXX010101000 (foreign residents) are valid.
//
// Accepted: "GODE561231GR8", "gode-561231-gr8", "GODE 561231 GR8".
// Normalised: upper case, no separators.
func (v validator) rfc(id string) (Result, error) {
	s := compact(id, true)
	r := []rune(s)
	res := Result{Country: MX, Kind: "RFC", Normalized: s}
	if s == "XAXX010101000" || s == "XEXX010101000" {
		return res, nil
	}
	if len(r) != 12 && len(r) != 13 {
		return Result{}, v.fail(fmt.Sprintf("has %d characters; an RFC has 12 (company) or 13 (person)", len(r)),
			"el RFC tiene 12 caracteres (persona moral) o 13 (persona física); revise el número")
	}
	n := len(r) - 9 // letters
	for _, c := range r[:n] {
		if !(c >= 'A' && c <= 'Z') && c != 'Ñ' && c != '&' {
			return Result{}, v.fail(fmt.Sprintf("the first %d characters must be letters", n),
				fmt.Sprintf("los primeros %d caracteres del RFC deben ser letras; revise el número", n))
		}
	}
	date := string(r[n : n+6])
	if !digits(date) || !validYYMMDD(date) {
		return Result{}, v.fail("the date part "+date+" is not a valid YYMMDD date",
			"después de las letras va la fecha AAMMDD, y "+date+" no es una fecha válida; revise el RFC")
	}
	for _, c := range r[n+6:] {
		if !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') {
			return Result{}, v.fail("the homoclave (last 3 characters) must be letters or digits",
				"la homoclave (últimos 3 caracteres) solo lleva letras y números; revise el RFC")
		}
	}
	if want, got := rfcCheck(r[:len(r)-1]), r[len(r)-1]; want != got {
		res.Warnings = append(res.Warnings, fmt.Sprintf("check digit should be %c, not %c; the SAT has issued such RFCs, so confirm it in the SAT registry", want, got))
	}
	return res, nil
}

func validYYMMDD(s string) bool {
	yy := int(s[0]-'0')*10 + int(s[1]-'0')
	mm := int(s[2]-'0')*10 + int(s[3]-'0')
	dd := int(s[4]-'0')*10 + int(s[5]-'0')
	days := [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	if mm < 1 || mm > 12 || dd < 1 || dd > days[mm] {
		return false
	}
	// The century is unknown; 00 is 2000, a leap year too.
	return mm != 2 || dd != 29 || yy%4 == 0
}

// rfcAlphabet gives each character its value in the check digit sum.
const rfcAlphabet = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"

// rfcCheck is the check character of the first 11 or 12 characters: padded
// in front with spaces to 12, values times 13 down to 2, then
// (11 - sum mod 11) mod 11, with 10 written A.
func rfcCheck(r []rune) rune {
	for len(r) < 12 {
		r = append([]rune{' '}, r...)
	}
	sum := 0
	for i, c := range r {
		sum += rfcValue(c) * (13 - i)
	}
	d := (11 - sum%11) % 11
	if d == 10 {
		return 'A'
	}
	return rune('0' + d)
}

// rfcValue is the position of c in rfcAlphabet, counted in characters.
func rfcValue(c rune) int {
	for i, a := range []rune(rfcAlphabet) {
		if a == c {
			return i
		}
	}
	return 0
}
