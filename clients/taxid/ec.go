package taxid

import "fmt"

// ruc validates an Ecuadorian cédula (10 digits, Kind "CEDULA") or RUC
// (Registro Único de Contribuyentes, 13 digits, Kind "RUC").
//
// Both start with a province code, 01 to 24 or 30 (Ecuadorians abroad).
// The third digit tells the kind of holder:
//
//   - 0 to 5, a natural person: a cédula, checked módulo 10 with
//     coefficients 2,1,2,1…; the RUC is the cédula plus a non-zero
//     establishment number, normally 001.
//   - 6, a public entity: 8 digits, a módulo 11 check digit (weights
//     3,2,7,6,5,4,3,2) and a non-zero 4-digit establishment, normally 0001.
//     Natural persons' RUCs with a 6 there are in use too (python-stdnum's
//     test data lists 0962467429001 as one); a RUC that fails the public
//     check but passes the cédula check is accepted with a warning.
//   - 9, a private company: 9 digits, a módulo 11 check digit (weights
//     4,3,2,7,6,5,4,3,2) and a non-zero establishment, normally 001.
//     Private-company RUCs that fail this legacy check are reported in use
//     since about 2020 (the SRI ran short of numbers as S.A.S. companies
//     multiplied). We could not confirm the SRI's current rule from a
//     primary source, and rejecting a real RUC would block a client's
//     invoices, so for a 9 a failed check is a warning, not an error.
//
// Accepted: "1710034065", "1792060346001", "1792060346-001", with spaces,
// dots or dashes. Normalised: the digits alone.
func (v validator) ruc(id string) (Result, error) {
	s := compact(id, true)
	if !digits(s) {
		return Result{}, v.fail("only digits are allowed",
			"solo se admiten números: 10 para la cédula o 13 para el RUC")
	}
	if len(s) != 10 && len(s) != 13 {
		return Result{}, v.fail(fmt.Sprintf("has %d digits; a cédula has 10 and a RUC 13", len(s)),
			"la cédula tiene 10 dígitos y el RUC 13; revise el número")
	}
	if p := s[:2]; (p < "01" || p > "24") && p != "30" {
		return Result{}, v.fail(fmt.Sprintf("province code %s does not exist (01 to 24, or 30)", p),
			"los dos primeros dígitos son la provincia (01 a 24, o 30); revise el número")
	}
	third := s[2]
	if len(s) == 10 {
		if third > '5' {
			return Result{}, v.fail("the third digit of a cédula is 0 to 5",
				"el tercer dígito de una cédula va de 0 a 5; revise el número")
		}
		if want := cedulaCheck(s); want != s[9] {
			return Result{}, v.badCheck(string(want), s[9:])
		}
		return Result{Country: EC, Kind: "CEDULA", Normalized: s}, nil
	}
	res := Result{Country: EC, Kind: "RUC", Normalized: s}
	switch {
	case third <= '5':
		if s[10:] == "000" {
			return Result{}, v.badEstablishment()
		}
		if want := cedulaCheck(s); want != s[9] {
			return Result{}, v.badCheck(string(want), s[9:10])
		}
	case third == '6':
		if s[9:] == "0000" {
			return Result{}, v.badEstablishment()
		}
		want, ok := ecMod11(s[:8], []int{3, 2, 7, 6, 5, 4, 3, 2})
		if !ok || want != s[8] {
			if s[10:] == "000" || cedulaCheck(s) != s[9] {
				if !ok {
					return Result{}, v.fail("no check digit fits this number, so it was never issued",
						"ese número de RUC no existe; revise los dígitos")
				}
				return Result{}, v.badCheck(string(want), s[8:9])
			}
			res.Warnings = append(res.Warnings, "public-entity check digit does not match; accepted as a natural person's RUC")
		}
	case third == '9':
		if s[10:] == "000" {
			return Result{}, v.badEstablishment()
		}
		if want, ok := ecMod11(s[:9], []int{4, 3, 2, 7, 6, 5, 4, 3, 2}); !ok || want != s[9] {
			res.Warnings = append(res.Warnings, "private-company check digit does not match the legacy módulo 11 rule; the SRI issues such RUCs since about 2020, so confirm it in the SRI registry")
		}
	default:
		return Result{}, v.fail("the third digit must be 0 to 6 or 9",
			"el tercer dígito del RUC debe ser de 0 a 6 o 9; revise el número")
	}
	return res, nil
}

func (v validator) badEstablishment() *Error {
	return v.fail("establishment number must not be zero (usually 001)",
		"el RUC termina en el número de establecimiento, normalmente 001; revise los últimos dígitos")
}

// cedulaCheck is the módulo 10 check digit over the first 9 digits of s:
// coefficients 2,1,2,1…, products over 9 less 9, then 10 - sum mod 10.
func cedulaCheck(s string) byte {
	sum := 0
	for i := 0; i < 9; i++ {
		p := int(s[i]-'0') * (2 - i%2)
		if p > 9 {
			p -= 9
		}
		sum += p
	}
	return byte('0' + (10-sum%10)%10)
}

// ecMod11 is 11 - sum mod 11, where 11 is 0 and 10 fits no number.
func ecMod11(s string, weights []int) (byte, bool) {
	switch d := 11 - weighted(s, weights)%11; d {
	case 11:
		return '0', true
	case 10:
		return 0, false
	default:
		return byte('0' + d), true
	}
}
