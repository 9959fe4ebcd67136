#!/usr/bin/env python3
# sa-query.py - asks a running spamd (port 17833, loopback) about every message of
# spam-2, easy-ham-2 and hard-ham-1 (SYMBOLS, two at a time) and writes
# "label path Spam:...;score/threshold SYMBOLS" lines to /tmp/sa/results.txt.
# The SpamAssassin reference of docs/SPAM.md; the setup is in docs/NOTES-spam.md.
import socket,sys,os,concurrent.futures as cf
C='/work/shared/corpora/spamassassin-public'
def ask(path):
    data=open(path,'rb').read()
    s=socket.create_connection(('127.0.0.1',17833),timeout=120)
    s.sendall(b'SYMBOLS SPAMC/1.5\r\nContent-length: %d\r\n\r\n'%len(data)+data)
    s.shutdown(socket.SHUT_WR)
    out=b''
    while True:
        b=s.recv(65536)
        if not b: break
        out+=b
    s.close()
    hdr,_,body=out.partition(b'\r\n\r\n')
    sc=[l for l in hdr.split(b'\r\n') if l.startswith(b'Spam:')]
    return path, (sc[0].decode() if sc else 'ERR '+hdr[:80].decode(errors='replace')), body.decode(errors='replace').strip()
jobs=[]
for lab,d in (('spam','spam-2'),('ham','easy-ham-2'),('ham','hard-ham-1')):
    for f in sorted(os.listdir(os.path.join(C,d))):
        jobs.append((lab,os.path.join(C,d,f)))
with cf.ThreadPoolExecutor(2) as ex, open('/tmp/sa/results.txt','w') as o:
    futs={ex.submit(ask,p):lab for lab,p in jobs}
    for fu in cf.as_completed(futs):
        p,sc,sym=fu.result(); o.write('%s %s %s %s\n'%(futs[fu],p.replace(C+'/',''),sc.replace(' ',''),sym)); o.flush()
