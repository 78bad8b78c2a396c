/* Reclaiming a key's register set, as in src/lock/peterson.cpp (Impl::pin, Impl::reclaim) over
 * the stores' open/remove (src/lock/register_store.cpp, redis_store.cpp). One key, two
 * participants, two reclaimers.
 *
 * A store location (an shm block, a Redis hash name, a memory object) holds a set: registers
 * inc (its incarnation, set at creation, 0 once removed) and retire (0, a reclaimer's token,
 * or DEAD). `dir` is the store's directory entry for the key: the location the key's name
 * resolves to, or NONE. Locations are reused (shm blocks, Redis names), each creation with a new
 * incarnation; a participant may hold a stale location from an earlier lookup.
 *
 * Participant (Impl::pin): look the key up (creating the set when missing), read inc; publish it
 * in its pin register; read retire, vetoing any token (compare-and-set back to 0) until it reads
 * 0 or DEAD; on DEAD finish the removal and start again; read inc again and start again unless
 * unchanged; then use the set (the Peterson protocol and the section, here abstract) and later
 * keep the pin or move it to another key (pin := 0 here).
 * Reclaimer (Impl::reclaim): look the key up (open creates it when missing), read inc,
 * compare-and-set retire 0 -> its token, read inc again, read both pins, then either give the token back (a pin
 * names the incarnation) or compare-and-set token -> DEAD and remove.
 * (Its token may land on a location reused since it read inc: it reads inc again after taking
 * the token, and gives the token back when it changed — NO_TOKEN_RECHECK drops that.)
 * remove (RegisterStore::remove): atomically, if the name's current set has retire == DEAD,
 * zero it and drop the name.
 *
 * Checked: a set in use is never reclaimed, zeroed or replaced in the directory, so every
 * participant in use works on the key's one current set. Broken variants that Spin must refute:
 * NO_PIN_CHECK (the reclaimer ignores pins), PIN_LATE (the pin is published after retire is read),
 * NO_RECHECK (the incarnation is not read again after the pin: a reused location passes),
 * NO_TOKEN_RECHECK (the reclaimer does not read inc again after taking its token). */
#define NONE 2
#define DEAD 3
#define MAXINC 3       /* incarnations: enough for a location to be reused */

byte dir = NONE;
byte inc[2];
byte retire[2];
byte fresh = 1;         /* the next incarnation */
byte pin[2];
bool inuse[2];
byte useloc[2], useinc[2];

#define OK(p) (!inuse[p] || (dir == useloc[p] && inc[useloc[p]] == useinc[p] && retire[useloc[p]] != DEAD))

/* open(): the key's location, created with a fresh incarnation when missing. */
inline open(loc) {
    atomic {
        if
        :: dir != NONE -> loc = dir
        :: dir == NONE && fresh <= MAXINC ->
           if
           :: inc[0] == 0 -> loc = 0
           :: inc[1] == 0 -> loc = 1
           fi;
           retire[loc] = 0; inc[loc] = fresh; fresh++; dir = loc
        fi
    }
}

/* remove(name, retire, DEAD): by name, so on whatever set the name resolves to now. */
inline remove() {
    atomic {
        if
        :: dir != NONE && retire[dir] == DEAD -> inc[dir] = 0; retire[dir] = 0; dir = NONE
        :: else -> skip
        fi
    }
}

proctype P(byte me)
{
    byte loc = NONE, life, r;
    do
    :: if
       :: open(loc)
       :: loc != NONE -> skip                    /* the process cache's entry, maybe stale */
       fi;
       life = inc[loc];
       if
       :: life == 0 -> goto again                 /* removed since the lookup */
       :: else -> skip
       fi;
#ifndef PIN_LATE
       pin[me] = life;
#endif
       r = retire[loc];
       do
       :: r == 0 || r == DEAD -> break
       :: else ->
          atomic { if :: retire[loc] == r -> retire[loc] = 0 :: else -> skip fi };   /* veto */
          r = retire[loc]
       od;
#ifdef PIN_LATE
       pin[me] = life;
#endif
       if
       :: r == DEAD -> remove(); goto again
       :: else -> skip
       fi;
#ifndef NO_RECHECK
       if
       :: inc[loc] != life -> goto again
       :: else -> skip
       fi;
#endif
       atomic { inuse[me] = true; useloc[me] = loc; useinc[me] = life };
       atomic { inuse[me] = false; useloc[me] = 0; useinc[me] = 0 };
       if
       :: pin[me] = 0                            /* the pin moves to another key */
       :: skip                                   /* or stays on this one */
       fi;
again: atomic { life = 0; r = 0 }
    od
}

proctype R(byte token)
{
    byte loc, life;
    bool pinned;
    do
    :: open(loc);
       life = inc[loc];
       if
       :: life != 0 ->
          if
          :: atomic { retire[loc] == 0 -> retire[loc] = token } ->
#ifndef NO_TOKEN_RECHECK
             if
             :: inc[loc] != life ->                  /* the location was reused meanwhile */
                atomic { if :: retire[loc] == token -> retire[loc] = 0 :: else -> skip fi };
                goto done
             :: else -> skip
             fi;
#endif
             pinned = (pin[0] == life);
             pinned = pinned || (pin[1] == life);
#ifdef NO_PIN_CHECK
             pinned = false;
#endif
             if
             :: pinned -> atomic { if :: retire[loc] == token -> retire[loc] = 0 :: else -> skip fi }
             :: else ->
                if
                :: atomic { retire[loc] == token -> retire[loc] = DEAD } -> remove()
                :: atomic { retire[loc] != token -> skip }                       /* vetoed */
                fi
             fi
          :: atomic { retire[loc] != 0 -> skip }      /* another reclaimer is at it */
          fi
       :: else -> skip
       fi;
done:  atomic { loc = 0; life = 0; pinned = false }
    od
}

active proctype monitor()
{
    assert(OK(0) && OK(1))
}

/* NP participants (1 or 2) and NR reclaimers (1 or 2); the suite runs NP=1, NR=2 (every broken
 * variant is refuted there) and NP=2, NR=1; NP=2, NR=2 was checked once by hand (61 million
 * states, 0 errors, 267 s). */
#ifndef NP
#define NP 2
#endif
#ifndef NR
#define NR 2
#endif
init {
    atomic {
        run P(0);
        if :: NP > 1 -> run P(1) :: else -> skip fi;
        run R(1);
        if :: NR > 1 -> run R(2) :: else -> skip fi
    }
}
