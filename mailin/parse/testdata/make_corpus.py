#!/usr/bin/env python3
"""Writes the .eml corpus used by TestGolden. Run from this directory.

Each message is written byte for byte (CRLF unless a case is about bare
LF), so charsets, 8-bit headers and broken MIME are exactly what the
file name says. Regenerate the goldens afterwards:
    go test ./mailin/parse -run TestGolden -update
"""
import base64, quopri, os

def b64(b, width=76):
    s = base64.b64encode(b).decode()
    return "\r\n".join(s[i:i+width] for i in range(0, len(s), width))

def qp(b):
    return quopri.encodestring(b).decode().replace("\n", "\r\n")

def w(name, text, enc="utf-8", crlf=True):
    data = text.encode(enc) if isinstance(text, str) else text
    if crlf:
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    with open(name + ".eml", "wb") as f:
        f.write(data)

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
DOC = b"\xd0\xcf\x11\xe0 fake doc" * 3
XLSX = b"PK\x03\x04 fake xlsx"
COMPROBANTE = "Adjunto comprobante de transferencia por $45.000.\nBanco Estado, operación 5512.\n".encode()
WINPATH = "C:\\Documents\\escritura.doc"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# 1 Gmail reply, Spanish, attribution wrapped over two lines.
plain = ("Hola, el servidor sigue caído desde las 9:00.\n¿Pueden revisarlo?\n\nGracias,\nMaría\n\n"
         "El lun, 3 mar 2025 a las 10:15, Soporte Turno (<soporte@turno.example>)\nescribió:\n\n"
         "> Estimada María: estamos revisando su caso.\n>\n")
html = ('<div dir="ltr">Hola, el servidor sigue caído desde las 9:00.<div>¿Pueden revisarlo?</div>'
        '<div><br></div><div>Gracias,</div><div>María</div></div><br><div class="gmail_quote">'
        '<div dir="ltr" class="gmail_attr">El lun, 3 mar 2025 a las 10:15, Soporte Turno (&lt;'
        'soporte@turno.example&gt;) escribió:<br></div><blockquote class="gmail_quote">Estimada María: '
        'estamos revisando su caso.</blockquote></div>')
w("gmail_reply_es", f"""MIME-Version: 1.0
Date: Mon, 3 Mar 2025 11:02:41 -0300
References: <t104233.1@turno.example>
In-Reply-To: <t104233.1@turno.example>
Message-ID: <CAF=abc123@mail.gmail.com>
Subject: =?UTF-8?B?UmU6IFtUaWNrZXQgIzEwNDIzM10gQ2HDrWRhIGRlbCBzZXJ2aWRvcg==?=
From: =?UTF-8?Q?Mar=C3=ADa_Gonz=C3=A1lez?= <maria@cliente.cl>
To: Soporte Turno <soporte@turno.example>
Content-Type: multipart/alternative; boundary="000000000000a1b2c3"

--000000000000a1b2c3
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{qp(plain.encode())}
--000000000000a1b2c3
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{qp(html.encode())}
--000000000000a1b2c3--
""")

# 2 Gmail reply, English, one-line attribution and '>' quote.
w("gmail_reply_en", """MIME-Version: 1.0
Date: Tue, 4 Mar 2025 09:00:00 +0000
Message-ID: <CAE+xyz@mail.gmail.com>
In-Reply-To: <t5.2@turno.example>
References: <t5.1@turno.example>
 <t5.2@turno.example>
Subject: Re: [Ticket #5] Invoice question
From: John Smith <john@example.com>
To: support@turno.example
Content-Type: text/plain; charset="UTF-8"

Thanks, that fixed it. You can close the ticket.

John

On Mon, Mar 3, 2025 at 10:15 AM Turno Support <support@turno.example> wrote:

> Hi John, please try again now.
>
> --
> Turno Support
""")

# 3 Gmail HTML only, gmail_quote div.
w("gmail_html_only", """MIME-Version: 1.0
Date: Tue, 4 Mar 2025 09:30:00 -0300
Message-ID: <CAH_html@mail.gmail.com>
Subject: Re: Consulta de facturación
From: Pedro Soto <pedro@empresa.cl>
To: cobranza@turno.example
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">Adjunto el comprobante de la transferencia.<br>Operaci=C3=
=B3n n=C2=BA 88231.</div><br><div class=3D"gmail_quote"><div dir=3D"ltr" cl=
ass=3D"gmail_attr">El mar, 4 mar 2025 a las 9:00, Cobranza (&lt;cobranza@tu=
rno.example&gt;) escribi=C3=B3:<br></div><blockquote class=3D"gmail_quote" =
style=3D"margin:0px 0px 0px 0.8ex">Su factura 1234 est=C3=A1 vencida.</bloc=
kquote></div>
""")

# 4 Outlook reply, Spanish, windows-1252 QP plain with De:/Enviado: block, HTML with border div.
plain4 = ("Buenos días:\n\nSigue sin funcionar el correo “corporativo”. Adjunto captura.\n\n"
          "Saludos,\nJosé Muñoz\n\n________________________________\n"
          "De: Soporte Turno <soporte@turno.example>\nEnviado: lunes, 3 de marzo de 2025 10:15\n"
          "Para: José Muñoz <jmunoz@pyme.cl>\nAsunto: [Ticket #2001] Correo caído\n\n"
          "Estimado José, ¿podría indicarnos el error?\n")
html4 = ('<html><head><style>p.MsoNormal{margin:0}</style></head><body><div class=WordSection1>'
         '<p class=MsoNormal>Buenos días:<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p>'
         '<p class=MsoNormal>Sigue sin funcionar el correo “corporativo”. Adjunto captura.</p>'
         '<p class=MsoNormal>Saludos,<br>José Muñoz</p>'
         '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
         '<p class=MsoNormal><b>De:</b> Soporte Turno &lt;soporte@turno.example&gt;<br><b>Enviado:</b> lunes, 3 de marzo de 2025 10:15<br>'
         '<b>Para:</b> José Muñoz<br><b>Asunto:</b> [Ticket #2001] Correo caído</p></div>'
         '<p class=MsoNormal>Estimado José, ¿podría indicarnos el error?</p></div></body></html>')
w("outlook_reply_es", ("""From: =?iso-8859-1?Q?Jos=E9_Mu=F1oz?= <jmunoz@pyme.cl>
To: Soporte Turno <soporte@turno.example>
Subject: RE: [Ticket #2001] =?iso-8859-1?Q?Correo_ca=EDdo?=
Thread-Topic: [Ticket #2001] Correo caído
Date: Mon, 3 Mar 2025 14:20:11 +0000
Message-ID: <DM6PR01MB1234ABCD@DM6PR01MB1234.namprd01.prod.outlook.com>
References: <t2001.1@turno.example>
In-Reply-To: <t2001.1@turno.example>
Content-Language: es-CL
Content-Type: multipart/alternative;
	boundary="_000_DM6PR01MB1234ABCD_"
MIME-Version: 1.0

--_000_DM6PR01MB1234ABCD_
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

""" + qp(plain4.encode("cp1252")) + """
--_000_DM6PR01MB1234ABCD_
Content-Type: text/html; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

""" + qp(html4.encode("cp1252")) + """
--_000_DM6PR01MB1234ABCD_--
"""))

# 5 Outlook reply, English, -----Original Message-----.
w("outlook_original_message_en", """From: "Smith, Anne" <anne.smith@corp.example>
To: "support@turno.example" <support@turno.example>
Subject: RE: [Ticket #77] DNS change
Date: Wed, 5 Mar 2025 08:11:00 -0500
Message-ID: <BN0PR01@corp.example>
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

Please go ahead with the change tonight.

Anne

-----Original Message-----
From: Turno Support <support@turno.example>
Sent: Tuesday, March 4, 2025 5:00 PM
To: Smith, Anne <anne.smith@corp.example>
Subject: [Ticket #77] DNS change

Can we change the MX records tonight?
""")

# 6 Outlook web HTML only: <hr> + divRplyFwdMsg.
w("outlook_html_divrplyfwdmsg", """From: Carla Rojas <carla@tienda.cl>
To: soporte@turno.example
Subject: RE: [Ticket #3100] Certificado SSL
Date: Thu, 6 Mar 2025 12:00:00 +0000
Message-ID: <AM0PR02MB@eurprd02.prod.outlook.com>
MIME-Version: 1.0
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: base64

""" + b64(('<html><body><div style="font-family:Calibri">Ya renové el dominio, pueden instalar el certificado.</div>'
           '<div><br></div><div>Carla</div><hr style="display:inline-block;width:98%" tabindex="-1">'
           '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri"><b>De:</b> Soporte Turno<br><b>Enviado:</b> jueves, 6 de marzo de 2025 8:00<br>'
           '<b>Para:</b> Carla Rojas<br><b>Asunto:</b> [Ticket #3100] Certificado SSL</font></div>'
           '<div>El dominio vence mañana.</div></body></html>').encode()) + "\n")

# 7 HTML with <hr> then From: (older Outlook), English.
w("outlook_html_hr_from", """From: Bob Lee <bob@shop.example>
To: support@turno.example
Subject: RE: Backup restore
Date: Thu, 6 Mar 2025 13:00:00 +0000
Message-ID: <hr-from@shop.example>
MIME-Version: 1.0
Content-Type: text/html; charset="us-ascii"

<html><body><p>Restore worked, thanks!</p><p>Bob</p>
<hr>
<p><b>From:</b> Turno Support [mailto:support@turno.example]<br>
<b>Sent:</b> Thursday, March 6, 2025 9:00 AM<br>
<b>To:</b> Bob Lee<br>
<b>Subject:</b> Backup restore</p>
<p>The restore is running.</p></body></html>
""")

# 8 Mensaje original, Spanish, latin1 declared with different spelling.
w("mensaje_original_es", ("""From: Luis Pérez <luis@municipio.cl>
To: soporte@turno.example
Subject: RE: Renovación de hosting
Date: Fri, 7 Mar 2025 10:00:00 -0300
Message-ID: <mo-es@municipio.cl>
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO8859-1
Content-Transfer-Encoding: 8bit

Confirmo la renovación por 12 meses.

Atte.
Luis

-----Mensaje original-----
De: Soporte Turno [mailto:soporte@turno.example]
Enviado el: jueves, 6 de marzo de 2025 18:00
Para: Luis Pérez
Asunto: Renovación de hosting

¿Desea renovar su plan?
""").encode("latin-1"), crlf=True)

# 9 Thunderbird reply, format=flowed.
w("thunderbird_flowed_es", """Message-ID: <tb-1@correo.cl>
Date: Sat, 8 Mar 2025 10:00:00 -0300
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Subject: Re: [Ticket #4410] Lentitud en el sitio
To: Soporte Turno <soporte@turno.example>
From: Ana Torres <ana@correo.cl>
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 8bit

Hola, el sitio sigue muy lento en las tardes, sobre todo entre las 18 y 
las 20 horas. Adjunto no tengo capturas, pero pueden probar con la 
página de inicio.

Saludos
Ana

El 07/03/25 a las 17:02, Soporte Turno escribió:
> Estimada Ana, ¿en qué horario nota la lentitud? Necesitamos más 
> información.
""")

# 10 format=flowed with DelSp=yes.
w("flowed_delsp", """Message-ID: <delsp@example.org>
Date: Sat, 8 Mar 2025 11:00:00 +0000
MIME-Version: 1.0
Subject: Flowed with delsp
From: Kenji <kenji@example.org>
To: support@turno.example
Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes
Content-Transfer-Encoding: 8bit

This is a long line that was wrapped by the mail client with DelSp so that  
the space at the end is deleted when joining: super 
califragilistic.
 From the space-stuffed line.
-- 
Kenji
""")

# 11 Apple Mail reply, Spanish: blockquote type=cite and '>' plain.
w("apple_mail_reply_es", """From: Diego Fuentes <diego@icloud.example>
Content-Type: multipart/alternative;
	boundary="Apple-Mail=_1A2B3C"
Mime-Version: 1.0 (Mac OS X Mail 16.0)
Subject: Re: [Ticket #880] Acceso FTP
Date: Sun, 9 Mar 2025 19:45:00 -0300
In-Reply-To: <t880@turno.example>
To: Soporte Turno <soporte@turno.example>
Message-Id: <5F1E@icloud.example>

--Apple-Mail=_1A2B3C
Content-Transfer-Encoding: quoted-printable
Content-Type: text/plain;
	charset=utf-8

Perfecto, ya pude entrar por FTP. Muchas gracias.

Diego

> El 9 mar 2025, a las 18:30, Soporte Turno <soporte@turno.example> =
escribi=C3=B3:
>=20
> Le enviamos la nueva contrase=C3=B1a.

--Apple-Mail=_1A2B3C
Content-Transfer-Encoding: quoted-printable
Content-Type: text/html;
	charset=utf-8

<html><body>Perfecto, ya pude entrar por FTP. Muchas gracias.<div><br></div>=
<div>Diego<br><div><br><blockquote type=3D"cite"><div>El 9 mar 2025, a las =
18:30, Soporte Turno &lt;soporte@turno.example&gt; escribi=C3=B3:</div><div=
>Le enviamos la nueva contrase=C3=B1a.</div></blockquote></div></div></body=
></html>
--Apple-Mail=_1A2B3C--
""")

# 12 Apple Mail inline image (multipart/related).
w("apple_inline_image", f"""From: Diego Fuentes <diego@icloud.example>
Content-Type: multipart/alternative; boundary="Apple-Mail=_OUTER"
Mime-Version: 1.0 (Mac OS X Mail 16.0)
Subject: Error al pagar
Date: Mon, 10 Mar 2025 08:00:00 -0300
To: Soporte Turno <soporte@turno.example>
Message-Id: <IMG1@icloud.example>

--Apple-Mail=_OUTER
Content-Transfer-Encoding: 7bit
Content-Type: text/plain; charset=us-ascii

Me sale este error al pagar:


--Apple-Mail=_OUTER
Content-Type: multipart/related; type="text/html"; boundary="Apple-Mail=_INNER"

--Apple-Mail=_INNER
Content-Transfer-Encoding: 7bit
Content-Type: text/html; charset=us-ascii

<html><body>Me sale este error al pagar:<br><img src="cid:F00D@icloud.example"></body></html>
--Apple-Mail=_INNER
Content-Transfer-Encoding: base64
Content-Disposition: inline; filename=captura.png
Content-Type: image/png; name="captura.png"
Content-Id: <F00D@icloud.example>

{b64(PNG)}
--Apple-Mail=_INNER--

--Apple-Mail=_OUTER--
""")

# 13 Signature after '-- '.
w("signature_es", """From: Camila Vera <camila@estudio.cl>
To: soporte@turno.example
Subject: Cambio de plan
Date: Mon, 10 Mar 2025 09:00:00 -0300
Message-ID: <sig@estudio.cl>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Quisiera cambiar al plan Pyme 2 desde el próximo mes.

-- 
Camila Vera
Estudio Vera & Asociados
+56 2 2345 6789
""")

# 14 Inline reply: quote in the middle is kept.
w("inline_reply_kept", """From: Tom <tom@example.net>
To: support@turno.example
Subject: Re: [Ticket #12] Three questions
Date: Mon, 10 Mar 2025 10:00:00 +0000
Message-ID: <inline@example.net>
Content-Type: text/plain; charset=utf-8

> 1. Which PHP version do you need?
8.3, please.

> 2. Should we migrate the database too?
Yes, tonight if possible.

Thanks
Tom
""")

# 15 Bottom quote at the end, no attribution.
w("trailing_quote_block", """From: Tom <tom@example.net>
To: support@turno.example
Subject: Re: [Ticket #13] Done?
Date: Mon, 10 Mar 2025 11:00:00 +0000
Message-ID: <trail@example.net>
Content-Type: text/plain; charset=utf-8

Yes, done. Thanks.

> Is the migration done?
> Turno Support
""")

# 16 Old mailer, Latin-1 without charset in body and raw 8-bit headers.
w("latin1_no_charset_8bit_headers", ("""From: Señora Núñez <nunez@viejo.cl>
To: soporte@turno.example
Subject: Problema con facturación de diciembre
Date: 10 Mar 2025 12:00:00 -0300
Message-ID: <old-mailer-1@viejo.cl>
X-Mailer: Eudora 4.3

Estimados: la factura de diciembre llegó con el RUT equivocado.
¿Pueden corregirla? Gracias, atte. Sra. Núñez
""").encode("latin-1"))

# 17 latin1 alias.
w("charset_latin1_alias", ("""From: Ignacio <ignacio@example.cl>
To: soporte@turno.example
Subject: =?latin1?Q?Contrase=F1a?=
Date: Tue, 11 Mar 2025 09:00:00 -0300
Message-ID: <latin1@example.cl>
MIME-Version: 1.0
Content-Type: text/plain; charset="LATIN1"
Content-Transfer-Encoding: quoted-printable

Olvid=E9 mi contrase=F1a del panel. =BFMe ayudan?
"""))

# 18 cp1252 curly quotes and euro.
w("charset_cp1252", ("""From: Marc <marc@example.fr>
To: support@turno.example
Subject: =?windows-1252?Q?=93Quoted=94_subject_=80?=
Date: Tue, 11 Mar 2025 10:00:00 +0100
Message-ID: <cp1252@example.fr>
MIME-Version: 1.0
Content-Type: text/plain; charset=cp1252
Content-Transfer-Encoding: 8bit

The invoice says \x93100 \x80\x94 but I paid \x85 less.
""").encode("latin-1"))

# 19 ISO-8859-1 declared, byte 0x80 read as euro (browser behaviour).
w("charset_iso8859_1_as_cp1252", ("""From: =?ISO-8859-1?Q?Andr=E9s?= <andres@example.cl>
To: soporte@turno.example
Subject: =?ISO-8859-1?Q?Cobro_de_=80_50?=
Date: Tue, 11 Mar 2025 11:00:00 -0300
Message-ID: <iso1@example.cl>
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: quoted-printable

Me cobraron =8050 y deber=EDan ser =8040 =96 =BFpor qu=E9?
"""))

# 20 ISO-8859-15 euro at 0xA4.
w("charset_iso8859_15", ("""From: Eva <eva@example.es>
To: soporte@turno.example
Subject: Precio
Date: Tue, 11 Mar 2025 12:00:00 +0100
Message-ID: <iso15@example.es>
MIME-Version: 1.0
Content-Type: text/plain; charset=iso-8859-15
Content-Transfer-Encoding: quoted-printable

El precio es 20 =A4 al mes, =BFcorrecto?
"""))

# 21 KOI8-R.
w("charset_koi8", b"""From: Ivan <ivan@example.ru>
To: support@turno.example
Subject: =?koi8-r?B?8NLJ18XU?=
Date: Tue, 11 Mar 2025 13:00:00 +0300
Message-ID: <koi8@example.ru>
MIME-Version: 1.0
Content-Type: text/plain; charset=koi8-r
Content-Transfer-Encoding: 8bit

""" + "Привет, сервер не работает.\n".encode("koi8_r"))

# 22 GB2312.
w("charset_gb2312", b"""From: Li <li@example.cn>
To: support@turno.example
Subject: =?gb2312?B?""" + base64.b64encode("服务器问题".encode("gb2312")) + b"""?=
Date: Tue, 11 Mar 2025 14:00:00 +0800
Message-ID: <gb@example.cn>
MIME-Version: 1.0
Content-Type: text/plain; charset=gb2312
Content-Transfer-Encoding: base64

""" + base64.b64encode("你好，服务器无法访问。\n".encode("gb2312")) + b"\n")

# 23 Shift_JIS.
w("charset_shift_jis", b"""From: Tanaka <tanaka@example.jp>
To: support@turno.example
Subject: =?shift_jis?B?""" + base64.b64encode("お問い合わせ".encode("shift_jis")) + b"""?=
Date: Tue, 11 Mar 2025 15:00:00 +0900
Message-ID: <sjis@example.jp>
MIME-Version: 1.0
Content-Type: text/plain; charset=Shift_JIS
Content-Transfer-Encoding: 8bit

""" + "メールが届きません。\n".encode("shift_jis"))

# 24 utf8 alias.
w("charset_utf8_alias", """From: Rosa <rosa@example.cl>
To: soporte@turno.example
Subject: =?utf8?Q?Direcci=C3=B3n?=
Date: Tue, 11 Mar 2025 16:00:00 -0300
Message-ID: <utf8alias@example.cl>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf8
Content-Transfer-Encoding: 8bit

Cambié mi dirección de facturación a Ñuñoa.
""")

# 25 Unknown charset.
w("charset_unknown", ("""From: Zed <zed@example.org>
To: support@turno.example
Subject: Unknown charset
Date: Tue, 11 Mar 2025 17:00:00 +0000
Message-ID: <unk@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset="x-mac-klingon"
Content-Transfer-Encoding: 8bit

Caf\xe9 is closed.
""").encode("latin-1"))

# 26 us-ascii declared, 8-bit content.
w("charset_us_ascii_8bit", ("""From: Old Box <box@example.cl>
To: soporte@turno.example
Subject: Ayuda
Date: Tue, 11 Mar 2025 18:00:00 -0300
Message-ID: <ascii8@example.cl>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

No puedo acceder al panel de administraci\xf3n.
""").encode("latin-1"))

# 27 RFC 2047 in display names, several charsets, groups.
w("rfc2047_display_names", """From: =?iso-8859-1?Q?Jos=E9_P=E9rez?= <jose@example.cl>
Reply-To: "=?utf-8?B?Q29udGFiaWxpZGFkIFBlcsOpeg==?=" <conta@example.cl>
To: =?UTF-8?Q?Soporte_T=C3=A9cnico?= <soporte@turno.example>, "Ventas, Chile" <ventas@turno.example>
Cc: =?utf-8?B?TWFyw61h?= =?utf-8?B?IEzDs3Blcw==?= <maria@example.cl>, undisclosed-recipients:;
Subject: =?utf-8?Q?Solicitud_de_cambio?= =?utf-8?Q?_de_raz=C3=B3n_social?=
Date: Wed, 12 Mar 2025 09:00:00 -0300
Message-ID: <names@example.cl>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Necesitamos cambiar la razón social.
""")

# 28 Outlook: RFC 2047 inside filename= parameter.
w("outlook_rfc2047_filename", f"""From: Paula <paula@example.cl>
To: pagos@turno.example
Subject: Comprobante de pago
Date: Wed, 12 Mar 2025 10:00:00 -0300
Message-ID: <o2047@example.cl>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="_004_Outlook_"

--_004_Outlook_
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: base64

{b64(COMPROBANTE)}

--_004_Outlook_
Content-Type: application/pdf;
	name="=?utf-8?B?Q29tcHJvYmFudGUgdHJhbnNmZXJlbmNpYSBtYXJ6by5wZGY=?="
Content-Description: =?utf-8?B?Q29tcHJvYmFudGUgdHJhbnNmZXJlbmNpYSBtYXJ6by5wZGY=?=
Content-Disposition: attachment;
	filename="=?utf-8?B?Q29tcHJvYmFudGUgdHJhbnNmZXJlbmNpYSBtYXJ6by5wZGY=?="; size=54
Content-Transfer-Encoding: base64

{b64(PDF)}

--_004_Outlook_--
""")

# 29 RFC 2231 filename with Spanish accents, latin-1 and utf-8 continuations.
w("rfc2231_filename_es", f"""From: Ernesto <ernesto@example.cl>
To: pagos@turno.example
Subject: Facturas
Date: Wed, 12 Mar 2025 11:00:00 -0300
Message-ID: <r2231@example.cl>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b2231"

--b2231
Content-Type: text/plain; charset=utf-8

Adjunto dos documentos.

--b2231
Content-Type: application/pdf
Content-Disposition: attachment; filename*=iso-8859-1'es'Factura%20n%FAmero%2012.pdf
Content-Transfer-Encoding: base64

{b64(PDF)}

--b2231
Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
Content-Disposition: attachment;
 filename*0*=UTF-8''Planilla%20de%20pagos%20;
 filename*1*=a%C3%B1o%202025;
 filename*2=".xlsx"
Content-Transfer-Encoding: base64

{b64(XLSX)}

--b2231--
""")

# 30 RFC 2231 plain continuations in Content-Type name.
w("rfc2231_continuations", f"""From: Sam <sam@example.com>
To: support@turno.example
Subject: Long file name
Date: Wed, 12 Mar 2025 12:00:00 +0000
Message-ID: <cont@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=XYZ

--XYZ
Content-Type: text/plain

See attached log.

--XYZ
Content-Type: text/plain; name*0="server-error-log-from-";
 name*1="the-night-of-march-11.txt"
Content-Disposition: attachment
Content-Transfer-Encoding: quoted-printable

ERROR 500 at 02:13=0AERROR 502 at 02:14
--XYZ--
""")

# 31 Several attachments, one inline disposition without Content-ID.
w("attachments_mixed", f"""From: Víctor <victor@example.cl>
To: soporte@turno.example
Subject: Documentos para alta de cliente
Date: Wed, 12 Mar 2025 13:00:00 -0300
Message-ID: <att-mixed@example.cl>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="==mixed=="

--==mixed==
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Envío el RUT de la empresa, la escritura y el logo.

--==mixed==
Content-Type: application/pdf; name="rut_empresa.pdf"
Content-Disposition: attachment; filename="rut_empresa.pdf"
Content-Transfer-Encoding: base64

{b64(PDF)}
--==mixed==
Content-Type: application/msword; name="escritura.doc"
Content-Disposition: attachment; filename="{WINPATH}"
Content-Transfer-Encoding: base64

{b64(DOC)}
--==mixed==
Content-Type: image/png
Content-Disposition: inline; filename="logo.png"
Content-Transfer-Encoding: base64

{b64(PNG)}
--==mixed==--
""")

# 32 Forwarded as attachment (message/rfc822 without filename).
w("forwarded_rfc822", """From: Jefa <jefa@example.cl>
To: soporte@turno.example
Subject: Fwd: Aviso de suspensión
Date: Wed, 12 Mar 2025 14:00:00 -0300
Message-ID: <fwd822@example.cl>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="fwdb"

--fwdb
Content-Type: text/plain; charset=utf-8

Les reenvío este aviso, ¿es real?

--fwdb
Content-Type: message/rfc822

From: Cobranza <cobranza@otro.example>
To: jefa@example.cl
Subject: =?utf-8?Q?Aviso_de_suspensi=C3=B3n?=
Message-ID: <orig-aviso@otro.example>
Date: Tue, 11 Mar 2025 09:00:00 -0300
Content-Type: text/plain; charset=utf-8

Su servicio será suspendido.

--fwdb--
""")

# 33 Gmail inline forward: not stripped.
w("forwarded_inline_gmail", """MIME-Version: 1.0
Date: Wed, 12 Mar 2025 15:00:00 -0300
Message-ID: <CAfwdinline@mail.gmail.com>
Subject: Fwd: Pedido 5531
From: Felipe <felipe@gmail.example>
To: soporte@turno.example
Content-Type: text/plain; charset="UTF-8"

Les reenvío el pedido que no llegó.

---------- Forwarded message ---------
De: Tienda <ventas@tienda.example>
Date: mar, 11 mar 2025 a las 10:00
Subject: Pedido 5531
To: <felipe@gmail.example>

Su pedido 5531 fue despachado.
""")

# 34 Spanish auto-reply: Auto-Submitted.
w("autoreply_es_auto_submitted", """From: Rodrigo Díaz <rdiaz@empresa.cl>
To: soporte@turno.example
Subject: =?utf-8?Q?Respuesta_autom=C3=A1tica:_[Ticket_#9001]_Renovaci=C3=B3n?=
Date: Thu, 13 Mar 2025 09:00:00 -0300
Message-ID: <auto1@empresa.cl>
Auto-Submitted: auto-replied (vacation)
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Estaré fuera de la oficina hasta el 20 de marzo. Para urgencias escriba a mesa@empresa.cl.
""")

# 35 Exchange "Fuera de la oficina": X-Auto-Response-Suppress.
w("autoreply_exchange_fuera_oficina", """From: Gloria Paz <gpaz@corp.cl>
To: Soporte Turno <soporte@turno.example>
Subject: =?iso-8859-1?Q?Fuera_de_la_oficina:_[Ticket_#9002]_Cambio_de_DNS?=
Thread-Topic: [Ticket #9002] Cambio de DNS
Date: Thu, 13 Mar 2025 10:00:00 +0000
Message-ID: <oof@corp.cl>
X-Auto-Response-Suppress: All
X-MS-Exchange-Inbox-Rules-Loop: gpaz@corp.cl
MIME-Version: 1.0
Content-Type: text/html; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

<html><body><p>Estoy de vacaciones hasta el lunes.</p><p>Gloria</p></body></html>
""")

# 36 X-Autoreply.
w("autoreply_x_autoreply", """From: Helpdesk Bot <noreply@vendor.example>
To: support@turno.example
Subject: We received your request
Date: Thu, 13 Mar 2025 11:00:00 +0000
Message-ID: <xauto@vendor.example>
X-Autoreply: yes
Content-Type: text/plain

Your request has been received.
""")

# 37 Precedence: auto_reply and X-Autorespond.
w("autoreply_precedence", """From: Vacaciones <vac@example.cl>
To: soporte@turno.example
Subject: Re: Consulta
Date: Thu, 13 Mar 2025 12:00:00 -0300
Message-ID: <prec-auto@example.cl>
Precedence: auto_reply
X-Autorespond: Vacation
Content-Type: text/plain; charset=utf-8

Ausente hasta abril.
""")

# 38 Auto-Submitted: no is normal.
w("auto_submitted_no", """From: Real Person <real@example.com>
To: support@turno.example
Subject: Not automatic
Date: Thu, 13 Mar 2025 13:00:00 +0000
Message-ID: <asno@example.com>
Auto-Submitted: no
Content-Type: text/plain

I typed this myself.
""")

# 39 Postfix RFC 3464 bounce with text/rfc822-headers.
w("bounce_postfix_dsn", """Return-Path: <>
Date: Thu, 13 Mar 2025 14:00:00 -0300 (CLT)
From: MAILER-DAEMON@mx.turno.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: cobranza@turno.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="4A1B2C3D.1700000000/mx.turno.example"
Message-Id: <20250313170000.4A1B2C3D@mx.turno.example>

This is a MIME-encapsulated message.

--4A1B2C3D.1700000000/mx.turno.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.turno.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<contabilidad@cliente-viejo.cl>: host mx.cliente-viejo.cl[200.1.2.3] said: 550
    5.1.1 <contabilidad@cliente-viejo.cl>: Recipient address rejected: User
    unknown in virtual mailbox table (in reply to RCPT TO command)

--4A1B2C3D.1700000000/mx.turno.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.turno.example
X-Postfix-Queue-ID: 4A1B2C3D
Arrival-Date: Thu, 13 Mar 2025 13:59:58 -0300 (CLT)

Final-Recipient: rfc822; contabilidad@cliente-viejo.cl
Original-Recipient: rfc822;contabilidad@cliente-viejo.cl
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.cliente-viejo.cl
Diagnostic-Code: smtp; 550 5.1.1 <contabilidad@cliente-viejo.cl>: Recipient
    address rejected: User unknown in virtual mailbox table

--4A1B2C3D.1700000000/mx.turno.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: Cobranza Turno <cobranza@turno.example>
To: contabilidad@cliente-viejo.cl
Subject: Nota de cobro 2025-03
Message-ID: <nota-2025-03-4411@turno.example>
X-Turno-Loop: outbox-4411

--4A1B2C3D.1700000000/mx.turno.example--
""")

# 40 Exchange NDR in Spanish with message/rfc822 original.
w("bounce_exchange_ndr_es", """From: postmaster@corp.cl
To: soporte@turno.example
Date: Thu, 13 Mar 2025 17:05:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="b-exch"
X-MS-Exchange-Message-Is-Ndr:
Content-Language: es-ES
Message-ID: <ndr-1@corp.cl>
Subject: =?iso-8859-1?Q?No_se_puede_entregar:_[Ticket_#300]_Respuesta?=

--b-exch
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

No se pudo entregar a estos destinatarios o grupos:

ex.empleado@corp.cl
La direcci=F3n de correo electr=F3nico que ha escrito no se encuentra.

--b-exch
Content-Type: message/delivery-status

Reporting-MTA: dns;EX01.corp.cl
Received-From-MTA: dns;mx.turno.example
Arrival-Date: Thu, 13 Mar 2025 17:04:59 +0000

Final-Recipient: rfc822;ex.empleado@corp.cl
Action: failed
Status: 5.1.10
Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup

--b-exch
Content-Type: message/rfc822

From: Soporte Turno <soporte@turno.example>
To: ex.empleado@corp.cl
Subject: [Ticket #300] Respuesta
Message-ID: <reply-300-2@turno.example>
Content-Type: text/plain; charset=utf-8

Hola, su caso fue resuelto.

--b-exch--
""")

# 41 Non-RFC3464 bounce from MAILER-DAEMON (qmail style).
w("bounce_mailer_daemon_plain", """Return-Path: <>
From: MAILER-DAEMON@mail.hosting.example
To: soporte@turno.example
Subject: failure notice
Date: Thu, 13 Mar 2025 18:00:00 +0000
Message-ID: <qmail-bounce@mail.hosting.example>

Hi. This is the qmail-send program at mail.hosting.example.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<noexiste@cliente.example>:
200.9.9.9 does not like recipient.
Remote host said: 550 5.1.1 <noexiste@cliente.example>... User unknown
Giving up on 200.9.9.9.

--- Below this line is a copy of the message.

Return-Path: <soporte@turno.example>
Message-ID: <ack-7788@turno.example>
From: soporte@turno.example
To: noexiste@cliente.example
Subject: [Ticket #7788] Recibimos su solicitud
""")

# 42 DSN with two recipients: one delayed 4.x, one failed 5.x.
w("bounce_multi_recipient", """Return-Path: <>
From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example>
To: facturacion@turno.example
Subject: Delivery Status Notification (Failure)
Date: Fri, 14 Mar 2025 08:00:00 +0000
Message-ID: <dsn-multi@relay.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type="delivery-status"; boundary="MR"

--MR
Content-Type: text/plain

Delivery to some recipients failed or is delayed.

--MR
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example

Final-Recipient: rfc822; lento@cliente-a.example
Action: delayed
Status: 4.4.1
Diagnostic-Code: smtp; 421 4.4.1 Connection timed out

Final-Recipient: rfc822; lleno@cliente-b.example
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp; 552 5.2.2 Mailbox full

--MR
Content-Type: text/rfc822-headers

Message-ID: <invoice-2025-03-991@turno.example>
Subject: Factura marzo

--MR--
""")

# 43 Mailing list.
w("bulk_mailing_list", """From: Lista Hosting <hosting-lista@lists.example>
To: hosting-lista@lists.example
Subject: [hosting-lista] Mantenimiento programado
Date: Fri, 14 Mar 2025 09:00:00 +0000
Message-ID: <list-1@lists.example>
List-Id: Lista de hosting <hosting-lista.lists.example>
List-Unsubscribe: <mailto:hosting-lista-leave@lists.example>
Precedence: list
Content-Type: text/plain; charset=utf-8

Habrá mantenimiento el sábado.
""")

# 44 Newsletter with Precedence: bulk only.
w("bulk_newsletter", """From: Ofertas <news@proveedor.example>
To: soporte@turno.example
Subject: Ofertas de marzo
Date: Fri, 14 Mar 2025 10:00:00 +0000
Message-ID: <news-1@proveedor.example>
Precedence: bulk
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><head><style>body{color:red}</style><script>track()</script></head><body>
<h1>Ofertas&nbsp;de&nbsp;marzo</h1><ul><li>Dominio .cl a $9.990</li><li>Hosting &amp; correo</li></ul>
<p>Responda&hellip; o no.</p></body></html>
""")

# 45 Bounce outranks auto-reply and bulk.
w("bounce_beats_autoreply", """Return-Path: <>
From: postmaster@isp.example
To: soporte@turno.example
Subject: Returned mail: see transcript for details
Date: Fri, 14 Mar 2025 11:00:00 +0000
Message-ID: <pm-bounce@isp.example>
Auto-Submitted: auto-generated
Precedence: bulk
Content-Type: text/plain

   ----- The following addresses had permanent fatal errors -----
<desconocido@isp.example>
    (reason: 550 5.1.1 User unknown)
""")

# 46 Auto-reply outranks bulk.
w("autoreply_beats_bulk", """From: List Robot <robot@lists.example>
To: support@turno.example
Subject: Auto: out of office
Date: Fri, 14 Mar 2025 12:00:00 +0000
Message-ID: <autobulk@lists.example>
Auto-Submitted: auto-replied
List-Id: <robots.lists.example>
Content-Type: text/plain

Out of office.
""")

# 47 Own loop header.
w("own_loop_header", """From: Otro <otro@example.cl>
To: soporte@turno.example
Subject: [Ticket #55] Su ticket fue recibido
Date: Fri, 14 Mar 2025 13:00:00 +0000
Message-ID: <loop-55@turno.example>
X-Turno-Loop: ack-55
Content-Type: text/plain; charset=utf-8

Recibimos su solicitud.
""")

# 48 Own From address (mixed case).
w("own_from_address", """From: Soporte Turno <Soporte@Turno.Example>
To: cliente@example.cl
Subject: Prueba
Date: Fri, 14 Mar 2025 14:00:00 +0000
Message-ID: <own-from@turno.example>
Content-Type: text/plain

Mensaje propio.
""")

# 49 Truncated multipart: no closing boundary, cut in an attachment.
w("truncated_multipart", f"""From: Nadia <nadia@example.cl>
To: soporte@turno.example
Subject: Se cortó el correo
Date: Fri, 14 Mar 2025 15:00:00 -0300
Message-ID: <trunc@example.cl>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="cut"

--cut
Content-Type: text/plain; charset=utf-8

El adjunto es el contrato firmado.

--cut
Content-Type: application/pdf; name="contrato.pdf"
Content-Disposition: attachment; filename="contrato.pdf"
Content-Transfer-Encoding: base64

{b64(PDF * 4)[:90]}
""")

# 50 Bad base64 in the text part.
w("bad_base64", """From: Oscar <oscar@example.cl>
To: soporte@turno.example
Subject: Base64 roto
Date: Fri, 14 Mar 2025 16:00:00 -0300
Message-ID: <badb64@example.cl>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

SG9sYSwgbm8gcHVlZG8g!!ZW50cmFyIGFsIHBhbmVs*LiBHcmFjaWFzLg
""")

# 51 Bad quoted-printable.
w("bad_qp", """From: Pia <pia@example.cl>
To: soporte@turno.example
Subject: QP roto
Date: Fri, 14 Mar 2025 17:00:00 -0300
Message-ID: <badqp@example.cl>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

El descuento es 10=ZZ y la tarifa =3D $5.000 =
por mes. Precio final=
""")

# 52 Header garbage.
w("header_garbage", """From: Quique <quique@example.cl>
To: soporte@turno.example
Subject: Cabecera rota
this line is not a header
Message-ID: <garbage@example.cl>

Mi dominio no resuelve.
""")

# 53 No headers at all.
w("no_headers", """Hola, necesito ayuda con mi correo, no me llegan los mensajes.
Gracias.
""")

# 54 Binary junk after a minimal header.
w("binary_junk", b"Subject: junk\r\nContent-Type: text/plain\r\n\r\n" + bytes(range(0, 256)) + b"\r\nfin\r\n", crlf=False)

# 55 Multipart whose boundary never appears.
w("multipart_no_boundary_found", """From: Rita <rita@example.cl>
To: soporte@turno.example
Subject: Sin separador
Date: Sat, 15 Mar 2025 09:00:00 -0300
Message-ID: <nobound@example.cl>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="never-used"

Este mensaje dice ser multipart pero no lo es.
Mi sitio está caído.
""")

# 56 HTML only: script/style, entities, lists, br, blank paragraphs.
w("html_only_structure", """From: Sara <sara@example.com>
To: support@turno.example
Subject: Migration checklist
Date: Sat, 15 Mar 2025 10:00:00 +0000
Message-ID: <htmlstruct@example.com>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<!DOCTYPE html><html><head><title>x</title><style>.a{color:red}</style></head>
<body><script>alert("x")</script><p>Hi   team,</p><p>&nbsp;</p><p>&nbsp;</p><p>&nbsp;</p>
<p>Before the migration please:</p>
<ol><li>Back up <b>all</b> databases</li><li>Lower the TTL to 300&nbsp;s</li></ol>
<div>Costs: 10&euro; &lt; 20&euro;<br>Line two<br><br><br><br>After breaks</div>
<table><tr><td>Site</td><td>shop.example</td></tr></table>
<p onclick="evil()">Thanks,<br>Sara</p></body></html>
""")

# 57 Ticket tag behind a chain of prefixes, odd spacing.
w("ticket_tag_prefix_chain", """From: Ursula <ursula@example.de>
To: support@turno.example
Subject: AW: RE: RV: Fwd: FW: Rta: SV: [ ticket # 104233 ] Server down
Date: Sat, 15 Mar 2025 11:00:00 +0100
Message-ID: <chain@example.de>
Content-Type: text/plain

Still down.
""")

# 58 No Message-ID and a garbage Date.
w("no_message_id_bad_date", """From: Nobody <nobody@example.org>
To: support@turno.example
Subject: No id
Date: someday soon
Content-Type: text/plain

No message id here.
""")

# 59 Threading headers spread over lines, odd spacing.
w("references_threading", """From: Walter <walter@example.com>
To: support@turno.example
Subject: Re: Re: [Ticket #42] Quota
Date: Sat, 15 Mar 2025 12:00:00 +0000
Message-ID:
 < walter-3@example.com >
In-Reply-To: <t42-2@turno.example> (Turno Support's message of Fri)
References: <t42-1@turno.example> <walter-2@example.com>
	<t42-2@turno.example>
Content-Type: text/plain

Quota is fine now.
""")

# 60 multipart/alternative with HTML before plain: plain wins.
w("alternative_html_first", """From: Xavier <xavier@example.com>
To: support@turno.example
Subject: Order of parts
Date: Sat, 15 Mar 2025 13:00:00 +0000
Message-ID: <althtml@example.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary=ALT

--ALT
Content-Type: text/html; charset=utf-8

<p>HTML <i>version</i></p>
--ALT
Content-Type: text/plain; charset=utf-8

Plain version
--ALT--
""")

# 61 Bare LF line endings throughout.
w("lf_line_endings", """From: Yolanda <yolanda@example.cl>
To: soporte@turno.example
Subject: =?utf-8?Q?L=C3=ADneas_LF?=
Date: Sat, 15 Mar 2025 14:00:00 -0300
Message-ID: <lf@example.cl>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="lf"

--lf
Content-Type: text/plain; charset=utf-8

Mensaje con saltos de línea Unix.

--lf
Content-Type: text/csv; name=datos.csv
Content-Disposition: attachment; filename=datos.csv

a,b
1,2

--lf--
""", crlf=False)

# 62 Outlook English plain with From:/Sent:/To:/Subject: block (no separator line).
w("outlook_reply_en_header_block", """From: Dan <dan@corp.example>
To: support@turno.example
Subject: RE: [Ticket #61] Mailbox size
Date: Sat, 15 Mar 2025 15:00:00 +0000
Message-ID: <ol-en@corp.example>
Content-Type: text/plain; charset=utf-8

Please raise it to 10 GB.

From: Turno Support <support@turno.example>
Sent: Friday, March 14, 2025 4:00 PM
To: Dan <dan@corp.example>
Subject: [Ticket #61] Mailbox size

Your mailbox is 98% full.
""")
