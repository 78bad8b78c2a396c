/* The Jerry lock of src/lock/peterson.cpp, for N = 3 participants (slots 0..2), one key.
 *
 * As implemented: L = 4 leaves; slot k climbs from leaf L+k; at each node it writes
 * flag(node, side) = its claim id, then victim(node) = its claim id, then reads the other side's
 * flag, then the victim, and enters the next level when the other flag is 0, when the victim is
 * not itself, or when the other flag names a claim whose lease expired; otherwise it reads again.
 * Release clears the flags from the root down. A timed-out attempt (TIMEOUTS) clears its flags
 * from the level it reached down. Claim id = slot + 1 (the slot is all that matters here).
 *
 * Crashes: the killer may crash any one participant at any moment (`unless`). "Lease expired"
 * is modelled as dead[k]: the lease's timing assumption is that an expired claim's owner has
 * stopped. The code notices an expiry only now and then (Observer::due), so for safety a waiter
 * may also keep re-reading a dead claim's flag; for liveness it notices it eventually. Safety: never two live participants in the section. Liveness (LIVENESS, weak
 * fairness): a live participant that tries eventually enters. */
#define N 3
#define L 4

byte flag[8];      /* flag(node, side) = 2*node + side, nodes 1..3 */
byte victim[L];    /* victim(node) */
bool dead[N];
bool cs[N];
bool trying[N];

#define ONE(i) ((cs[i] && !dead[i]) -> 1 : 0)
#define LIVE_CS (ONE(0) + ONE(1) + ONE(2))

proctype P(byte me)
{
    byte id = me + 1;
    byte node0 = (L + me) / 2, side0 = (L + me) % 2;   /* first step of Impl::path */
    byte node1 = node0 / 2, side1 = node0 % 2;          /* the root */
    byte lvl, other;
    bool go;
#define NODE ((lvl == 0) -> node0 : node1)
#define SIDE ((lvl == 0) -> side0 : side1)
    {
    do
    :: trying[me] = true;
       lvl = 0;
       do
       :: lvl == 2 -> break
       :: else ->
#ifndef BROKEN
          flag[2 * NODE + SIDE] = id;
          victim[NODE] = id;
#else
          victim[NODE] = id;                       /* the classic mistake: turn before flag */
          flag[2 * NODE + SIDE] = id;
#endif
wait:     other = flag[2 * NODE + 1 - SIDE];       /* read 1: the other side's flag */
          atomic {                                 /* read 2: the victim; the rest is local */
             if
             :: other == 0 || victim[NODE] != id -> go = true
             :: else ->
                if
#ifndef NO_EXPIRY
                :: dead[other - 1] -> go = true   /* its lease expired: released */
#endif
#ifdef LIVENESS
                :: else -> go = false             /* an expired lease is noticed in time */
#else
                :: go = false                     /* waiting, or expiry not noticed yet */
#endif
                fi
             fi;
             other = 0
          }
          if
          :: go -> go = false; lvl++
          :: !go -> goto wait
#ifdef TIMEOUTS
          :: !go ->                                /* deadline: leave, top down */
             flag[2 * NODE + SIDE] = 0;
             if
             :: lvl == 1 -> flag[2 * node0 + side0] = 0
             :: else -> skip
             fi;
             trying[me] = false;
             goto next
#endif
          fi
       od;
       cs[me] = true;
       assert(LIVE_CS <= 1);
       cs[me] = false;
       flag[2 * node1 + side1] = 0;                 /* release: root first */
       flag[2 * node0 + side0] = 0;
       trying[me] = false;
next:  lvl = 0
    od
    } unless { dead[me] }
}

active proctype killer()
{
    if
    :: dead[0] = true
    :: dead[1] = true
    :: dead[2] = true
    :: skip
    fi
}

init {
    atomic { run P(0); run P(1); run P(2) }
}

#ifdef LIVENESS
ltl progress0 { [] (trying[0] -> <> (cs[0] || dead[0])) }
ltl progress2 { [] (trying[2] -> <> (cs[2] || dead[2])) }
#endif
