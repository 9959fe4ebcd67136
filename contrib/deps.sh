#!/bin/sh
# deps.sh - install what postern needs to build, test and run its demo on
# Debian 12 (as root).  Does nothing when everything is already there.
# Sendmail (tests/e2e/sendmail.sh) conflicts with Postfix: only the libraries
# it links are installed here; tests/lib/sendmail.sh fetches the package
# itself (apt-get download + dpkg -x into /var/cache/postern-tests).
set -eu

PKGS="build-essential autoconf automake libtool pkg-config
libmilter-dev libopendkim-dev libspf2-dev libssl-dev libconfig-dev
libunbound-dev libevent-dev libcmocka-dev libpsl-dev publicsuffix libxml2-dev zlib1g-dev libxml2-utils
postfix swaks miltertest unbound python3 python3-yaml procps
opendkim libnet-ssleay-perl libio-socket-ssl-perl libmail-dkim-perl spamd spamassassin
m4 liblockfile1 libwrap0 libsasl2-2 libsasl2-modules sasl2-bin
libmicrohttpd-dev curl liblmdb-dev libhiredis-dev lmdb-utils redis-server xz-utils"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Postfix asks a debconf question; tests and the demo run private instances
echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
