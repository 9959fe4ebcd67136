#!/usr/bin/perl
# perlsign.pl - sign a message with Mail::DKIM, an independent signer for
# tests/dkim/leadspc.sh: a DKIM-Signature, or an ARC set (AAR, AMS, AS).
#   perlsign.pl dkim CANON DOMAIN SELECTOR KEY.pem < in.eml > out.eml
#   perlsign.pl arc  CANON DOMAIN SELECTOR KEY.pem < in.eml > out.eml
# The message is hashed as written: a field "Subject:x" (no space after the
# colon) stays so, and simple header canonicalisation covers it byte for
# byte.  Mail::DKIM's ARC signer always writes c=relaxed/relaxed in the AMS;
# CANON replaces it (the seal is relaxed by definition, RFC 8617 5.1.1).
# For arc the message must carry an Authentication-Results of DOMAIN.
use strict;
use warnings;
use Mail::DKIM::Signer;
use Mail::DKIM::ARC::Signer;
use Mail::DKIM::ARC::MessageSignature;

my ($mode, $canon, $domain, $sel, $key) = @ARGV;
die "usage: perlsign.pl dkim|arc CANON DOMAIN SELECTOR KEY\n" unless defined $key;
my $msg = do { local $/; <STDIN> };
$msg =~ s/\r?\n/\r\n/g;
my ($signer, $out);
if ($mode eq 'dkim') {
	$signer = Mail::DKIM::Signer->new(Algorithm => 'rsa-sha256', Method => $canon,
	    Domain => $domain, Selector => $sel, KeyFile => $key,
	    Headers => 'from:to:subject:date:message-id:x-folded');
} else {
	my $new = \&Mail::DKIM::ARC::MessageSignature::new;
	no warnings 'redefine';
	*Mail::DKIM::ARC::MessageSignature::new = sub {
		my ($class, %a) = @_;
		$a{Method} = $canon;
		return $new->($class, %a);
	};
	$signer = Mail::DKIM::ARC::Signer->new(Algorithm => 'rsa-sha256', Chain => 'ar',
	    Domain => $domain, SrvId => $domain, Selector => $sel, KeyFile => $key,
	    Headers => 'from:to:subject:date:message-id:x-folded', Timestamp => time());
}
$signer->PRINT($msg);
$signer->CLOSE;
if ($mode eq 'dkim') {
	$out = $signer->signature->as_string . "\r\n";
} else {
	die "ARC signer: $signer->{result} " . ($signer->{details} // '') . "\n"
	    unless $signer->as_string ne '';
	$out = $signer->as_string;
}
binmode STDOUT;
print $out, $msg;
