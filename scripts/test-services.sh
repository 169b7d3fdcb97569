#!/usr/bin/env bash
# Start or stop the real external servers the integration tests use: a
# private Dovecot (IMAP) and Postfix's smtp-sink, both on 127.0.0.1 on high
# ports, with all their files under .test-services/. Installs the Debian
# packages when missing, without ever starting the system services.
#
#   scripts/test-services.sh start   # prints nothing on success; writes .test-services/env
#   scripts/test-services.sh stop    # stops both by PID
#   . .test-services/env             # exports TURNO_TEST_* for go test
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.test-services"

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then echo sudo; else
      echo "test-services: installing packages needs root (or sudo)" >&2; exit 1
    fi
  fi
}

install_packages() {
  local missing=()
  command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
  command -v smtp-sink >/dev/null || [ -x /usr/sbin/smtp-sink ] || missing+=(postfix)
  # Browser tests of the web pages (headless Chromium driven by chromedp).
  command -v chromium >/dev/null || missing+=(chromium)
  # The billing PDF's first page as a PNG artifact.
  command -v pdftoppm >/dev/null || missing+=(poppler-utils)
  # The alert rules file (promtool check rules) and the systemd unit
  # (systemd-analyze verify).
  command -v promtool >/dev/null || missing+=(prometheus)
  command -v systemd-analyze >/dev/null || missing+=(systemd)
  [ ${#missing[@]} -eq 0 ] && return 0
  local SUDO; SUDO="$(need_root)"
  echo "test-services: installing ${missing[*]}" >&2
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  # Keep maintainer scripts from starting daemons: nothing may listen on 25.
  local made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ $made_policy -eq 1 ] && $SUDO rm -f /usr/sbin/policy-rc.d
  # Some images start them anyway (no init, but a helper may): stop them.
  $SUDO pkill -x master 2>/dev/null || true
  $SUDO pkill -f "^/usr/sbin/dovecot$" 2>/dev/null || true
  $SUDO pkill -x prometheus 2>/dev/null || true
  return 0
}

free_port() {
  # A port nothing listens on, in a high range.
  local p
  for _ in $(seq 50); do
    p=$(( 20000 + RANDOM % 20000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "test-services: no free port" >&2; exit 1
}

wait_port() {
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "test-services: nothing listening on 127.0.0.1:$1 after 10s ($2)" >&2
  return 1
}

start() {
  install_packages
  stop_quiet
  mkdir -p "$dir"
  local d="$dir/dovecot" home="$dir/dovecot/home/turno"
  rm -rf "$d"; mkdir -p "$d/base" "$d/state" "$home/Maildir/"{cur,new,tmp}
  local imap_port sink_port user=turno pass=turno-test
  imap_port=$(free_port)
  # Mail processes run as the passwd-file uid; 65534 is nobody.
  echo "$user:{PLAIN}$pass:65534:65534::$home" > "$d/passwd"
  chown -R 65534:65534 "$d/home"
  cat > "$d/dovecot.conf" <<CONF
base_dir = $d/base
state_dir = $d/state
log_path = $d/dovecot.log
info_log_path = $d/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
first_valid_uid = 1
first_valid_gid = 1
default_login_user = nobody
default_internal_user = nobody
default_internal_group = nogroup
passdb {
  driver = passwd-file
  args = scheme=PLAIN $d/passwd
}
userdb {
  driver = passwd-file
  args = $d/passwd
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
protocol imap {
  mail_max_userip_connections = 100
}
CONF
  /usr/sbin/dovecot -c "$d/dovecot.conf" -F >"$d/stdout.log" 2>&1 &
  echo $! > "$dir/dovecot.pid"
  wait_port "$imap_port" "dovecot: see $d/dovecot.log" || { cat "$d/stdout.log" "$d/dovecot.log" >&2 || true; exit 1; }

  sink_port=$(free_port)
  /usr/sbin/smtp-sink -u nobody "127.0.0.1:$sink_port" 1024 >"$dir/smtp-sink.log" 2>&1 &
  echo $! > "$dir/smtp-sink.pid"
  wait_port "$sink_port" "smtp-sink: see $dir/smtp-sink.log" || { cat "$dir/smtp-sink.log" >&2; exit 1; }

  cat > "$dir/env" <<ENV
export TURNO_TEST_DOVECOT_ADDR=127.0.0.1:$imap_port
export TURNO_TEST_DOVECOT_USER=$user
export TURNO_TEST_DOVECOT_PASSWORD=$pass
export TURNO_TEST_DOVECOT_MAILDIR=$home/Maildir
export TURNO_TEST_SMTPSINK_ADDR=127.0.0.1:$sink_port
ENV
  echo "test-services: dovecot on 127.0.0.1:$imap_port, smtp-sink on 127.0.0.1:$sink_port" >&2
}

stop_quiet() {
  for name in dovecot smtp-sink; do
    local pf="$dir/$name.pid"
    if [ -f "$pf" ]; then
      kill "$(cat "$pf")" 2>/dev/null || true
      rm -f "$pf"
    fi
  done
  # Dovecot's children exit with their master; give them a moment.
  for _ in $(seq 30); do pgrep -f "dovecot -c $dir/" >/dev/null || break; sleep 0.1; done
}

case "${1:-}" in
  start) start ;;
  stop) stop_quiet ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
