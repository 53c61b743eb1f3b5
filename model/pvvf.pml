/*
 * A model of pvvf's arbitration protocol, checked with spin.
 *
 * Two guests, each owning one VF of the same PF, talk to the device
 * (the arbitration core).  They enable and disable PASID and PRI, toggle
 * their VF's ATS, stop and reset PRI cooperatively, and disconnect at any
 * moment, losing whatever events were queued for them.  The host, at the
 * same time, enables ATS on the PF and revokes the PF's PASID.  Page
 * requests from each VF arrive while its PRI is enabled and complete (or
 * are answered at the drain deadline) in any order.
 *
 * Safety (assertions, checked in every reachable state):
 *  - the PF's PASID Enable never changes while ATS is enabled on any
 *    function of the PF (PCIe 7.8.9.3);
 *  - the PF's PRI allocation is never changed while PF PRI is enabled, and
 *    PF PRI is never reset while enabled (PCIe 10.5.2.3);
 *  - PASID references always equal the VFs that hold PASID, and the PF
 *    PASID bit is on exactly when the host owns it or a reference (or a
 *    deferred disable) requires it: no leaked or double-counted reference;
 *  - the PRI pool in use equals the allocations of VFs that use PRI, and
 *    never exceeds the pool;
 *  - "stopped" is never reported while that VF has requests outstanding.
 * Liveness (LTL, weak fairness): a PRI stop requested by a guest
 * eventually completes.
 */

#define NG	2	/* guests, one VF each */
#define POOL	2	/* PF outstanding page request allocation */
#define MAXOUT	2	/* outstanding page requests per VF in the model */

mtype = { PASID_EN, PASID_DIS, ATS_EN, ATS_DIS, PRI_EN, PRI_DIS, PRI_RESET,
	  DISCONNECT };
mtype = { OK, EBUSY, EALREADY, ENOSPC, EPERM };
mtype = { EV_STOPPED, EV_REVOKED };

chan req[NG] = [0] of { mtype };
chan resp[NG] = [0] of { mtype };
chan evq[NG] = [2] of { mtype };

/* PF state */
bool pf_pasid;			/* PF PASID Enable */
bool pf_pasid_ours;		/* pvvf turned it on */
bool pasid_off_deferred;	/* last reference gone while ATS was on */
bool host_pasid;		/* the host owns PF PASID on */
bool host_ats;			/* ATS enabled on the PF itself */
byte pasid_refs;
bool pf_pri;			/* PF PRI Enable */
byte pri_users;			/* VFs enabled or draining */
byte pool_used;

/* per-VF state, kept by the device */
bool vf_ats[NG];
bool vf_pasid[NG];
bool vf_pri[NG];		/* virtual PRI Enable */
bool draining[NG];
bool vf_stopped[NG];
byte vf_alloc[NG];
byte outstanding[NG];

/* observation for the liveness property */
bool stop_pending[NG];

inline any_ats()
{
	(host_ats || vf_ats[0] || vf_ats[1])
}

inline set_pf_pasid(v)
{
	assert(!(host_ats || vf_ats[0] || vf_ats[1]));
	pf_pasid = v
}

inline check_invariants()
{
	assert(pasid_refs == vf_pasid[0] + vf_pasid[1]);
	assert(pf_pasid == (host_pasid || pasid_refs > 0 || pasid_off_deferred));
	assert(pool_used <= POOL);
	assert(pool_used == (vf_pri[0] || draining[0]) * vf_alloc[0] +
			    (vf_pri[1] || draining[1]) * vf_alloc[1]);
	assert(pri_users == (vf_pri[0] || draining[0]) + (vf_pri[1] || draining[1]));
	assert(pf_pri == (pri_users > 0));
	assert(!vf_stopped[0] || outstanding[0] == 0);
	assert(!vf_stopped[1] || outstanding[1] == 0)
}

/* A deferred PF PASID disable happens once ATS is off everywhere. */
inline pasid_settle()
{
	if
	:: pasid_off_deferred && !(host_ats || vf_ats[0] || vf_ats[1]) ->
		pasid_off_deferred = false;
		set_pf_pasid(host_pasid);
		pf_pasid_ours = false
	:: else -> skip
	fi
}

inline pasid_drop(g)
{
	vf_pasid[g] = false;
	pasid_refs--;
	if
	:: pasid_refs == 0 && pf_pasid_ours && !host_pasid ->
		if
		:: (host_ats || vf_ats[0] || vf_ats[1]) -> pasid_off_deferred = true
		:: else -> set_pf_pasid(false); pf_pasid_ours = false
		fi
	:: else -> skip
	fi
}

inline pri_user_done(g)
{
	pool_used = pool_used - vf_alloc[g];
	vf_alloc[g] = 0;
	pri_users--;
	if
	:: pri_users == 0 -> pf_pri = false	/* PF PRI off; a PF reset is now allowed */
	:: else -> skip
	fi
}

/* Drain complete: report stopped exactly once, with nothing outstanding. */
inline maybe_stopped(g)
{
	if
	:: draining[g] && outstanding[g] == 0 ->
		draining[g] = false;
		vf_stopped[g] = true;
		pri_user_done(g);
		assert(outstanding[g] == 0);
		if
		:: nfull(evq[g]) -> evq[g] ! EV_STOPPED
		:: full(evq[g]) -> skip		/* coalesced; status read-back shows it */
		fi
	:: else -> skip
	fi
}

inline pri_disable(g)
{
	vf_pri[g] = false;
	draining[g] = true;
	maybe_stopped(g)
}

inline do_request(g, op, r)
{
	if
	:: op == ATS_EN ->
		if
		:: vf_ats[g] -> r = EALREADY
		:: else -> vf_ats[g] = true; r = OK
		fi
	:: op == ATS_DIS ->
		vf_ats[g] = false; r = OK; pasid_settle()
	:: op == PASID_EN ->
		if
		:: vf_pasid[g] -> r = EALREADY
		:: vf_ats[g] -> r = EBUSY
		:: !pf_pasid && (host_ats || vf_ats[0] || vf_ats[1]) -> r = EBUSY
		:: else ->
			if
			:: !pf_pasid -> set_pf_pasid(true); pf_pasid_ours = true
			:: else -> skip
			fi;
			pasid_off_deferred = false;
			vf_pasid[g] = true; pasid_refs++; r = OK
		fi
	:: op == PASID_DIS ->
		if
		:: !vf_pasid[g] -> r = EALREADY
		:: vf_ats[g] -> r = EBUSY
		:: else -> pasid_drop(g); r = OK
		fi
	:: op == PRI_EN ->
		if
		:: vf_pri[g] || draining[g] -> r = EALREADY
		:: pool_used + 1 > POOL -> r = ENOSPC
		:: else ->
			/* the allocation is set before PF PRI is enabled */
			vf_alloc[g] = 1; pool_used++;
			pri_users++; pf_pri = true;
			vf_pri[g] = true; vf_stopped[g] = false; r = OK
		fi
	:: op == PRI_DIS ->
		if
		:: !vf_pri[g] -> r = EALREADY
		:: else -> pri_disable(g); r = OK
		fi
	:: op == PRI_RESET ->
		if
		:: vf_pri[g] || draining[g] -> r = EBUSY
		:: else -> r = OK	/* clears RF/UPRGI of this VF only */
		fi
	fi
}

/* Disconnect: release in orderly-teardown order, drop queued events. */
inline do_disconnect(g)
{
	if
	:: vf_pri[g] -> pri_disable(g)
	:: else -> skip
	fi;
	/* the drain goes on without the guest; stopped is not reported to it */
	vf_ats[g] = false;
	if
	:: vf_pasid[g] -> pasid_drop(g)
	:: else -> skip
	fi;
	pasid_settle();
	do
	:: nempty(evq[g]) -> evq[g] ? _
	:: empty(evq[g]) -> break
	od
}

proctype device()
{
	mtype op, r;
	byte g;
end:	do
	:: req[0] ? op -> g = 0; goto serve
	:: req[1] ? op -> g = 1; goto serve
	od;
serve:
	atomic {
		if
		:: op == DISCONNECT -> do_disconnect(g); r = OK
		:: else -> do_request(g, op, r)
		fi;
		check_invariants()
	}
	resp[g] ! r;
	d_step { op = 0; r = 0; g = 0 };
	goto end
}

/* Page requests of VF g: arrive while its PRI is on, complete in any order. */
proctype pages(byte g)
{
end:	do
	:: atomic { vf_pri[g] && outstanding[g] < MAXOUT ->
		outstanding[g]++; check_invariants() }
	:: atomic { outstanding[g] > 0 ->
		outstanding[g]--; maybe_stopped(g); check_invariants() }
	od
}

proctype host()
{
end:	do
	:: atomic { !host_ats -> host_ats = true }
	:: atomic { host_ats -> host_ats = false; pasid_settle(); check_invariants() }
	:: atomic { !host_pasid && !(host_ats || vf_ats[0] || vf_ats[1]) ->
		host_pasid = true; set_pf_pasid(true); pasid_off_deferred = false;
		pf_pasid_ours = false; check_invariants() }
	/* revocation: the host turns PF PASID off behind pvvf's back */
	:: atomic { pf_pasid && !(host_ats || vf_ats[0] || vf_ats[1]) ->
		host_pasid = false; set_pf_pasid(false); pf_pasid_ours = false;
		pasid_off_deferred = false;
		if
		:: vf_pasid[0] -> vf_pasid[0] = false;
			if :: nfull(evq[0]) -> evq[0] ! EV_REVOKED :: full(evq[0]) -> skip fi
		:: else
		fi;
		if
		:: vf_pasid[1] -> vf_pasid[1] = false;
			if :: nfull(evq[1]) -> evq[1] ! EV_REVOKED :: full(evq[1]) -> skip fi
		:: else
		fi;
		pasid_refs = 0; check_invariants() }
	od
}

/*
 * A cooperative guest: any request in any order (the device must cope),
 * the orderly stop (disable, wait for stopped, reset), and disconnects.
 */
proctype guest(byte g)
{
	mtype r;
end:	do
	:: req[g] ! ATS_EN; resp[g] ? _
	:: req[g] ! ATS_DIS; resp[g] ? _
	:: req[g] ! PASID_EN; resp[g] ? _
	:: req[g] ! PASID_DIS; resp[g] ? _
	:: req[g] ! PRI_EN; resp[g] ? _
	:: req[g] ! PRI_RESET; resp[g] ? _
	:: req[g] ! PRI_DIS; resp[g] ? r ->
		if
		:: r == OK ->
			stop_pending[g] = true;
			/*
			 * An event only wakes the waiter: it may be stale (from an
			 * earlier drain), so stopped is read back before reset.
			 */
			do
			:: vf_stopped[g] -> break	/* PRI_STATUS read-back */
			:: evq[g] ? _
			od;
			assert(outstanding[g] == 0 || vf_pri[g]);
			stop_pending[g] = false;
			req[g] ! PRI_RESET; resp[g] ? r;
			assert(r == OK)	/* disabled and stopped: reset succeeds */
		:: else
		fi;
		r = 0
	:: evq[g] ? _
	:: req[g] ! DISCONNECT; resp[g] ? _
	od
}

init {
	atomic {
		vf_stopped[0] = true;
		vf_stopped[1] = true;
		run device();
		run pages(0);
		run pages(1);
		run host();
		run guest(0);
		run guest(1)
	}
}

ltl stop_completes { [] (stop_pending[0] -> <> !stop_pending[0]) }
