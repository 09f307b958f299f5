// Package registration is the periodic re-registration of teaching
// certificates (中小学教师资格定期注册暂行办法, 2013): the rules as versioned,
// effective-dated data (Policy, published on registration-policy-<scope>),
// the pure check of one teacher's cycle (Evaluate), and the decisions the
// registration authority records (stream registration-<teacherID>), from
// which alone registration dates and outcomes are derived, and the facts the
// check needs besides credits and appraisals: absences, fitness to teach and
// a revoked certificate (Facts, stream regfacts-<teacherID>).
//
// Readings of the rules this package makes, each a choice the brief left
// open:
//
//   - A cycle runs CycleYears from the registration date (the first
//     registration or the last passing decision), half-open [start, end).
//     Its length comes from the policy in force on its first day.
//   - The appraisal and ethics years of a cycle are the calendar years whose
//     31 December falls inside it: always CycleYears of them, and consecutive
//     cycles never share a year.
//   - The rules applied are those of the policy in force on the cycle's last
//     day, or on the check date when checking before the end (a forecast).
//     A policy published after a cycle ended never applies to it, even when a
//     deferred teacher re-applies later.
//   - The decision for a cycle counts the cycle's hours only: completed
//     from its start up to the check date or its end, whichever is first.
//     Hours completed after the end count as make-up hours (补修学时) only
//     for a teacher whose registration of the cycle was deferred (暂缓), and
//     only those completed on or before the make-up deadline: the cycle's
//     end plus the policy's MakeUpMonths (zero: DefaultMakeUpMonths, 12),
//     less a day (Policy.MakeUpUntil). They are shown apart
//     (Progress.MakeUpHours, rule make_up; later ones are listed as
//     make_up_after_deadline) and fill no cycle year's minimum. The next
//     cycle starts at the new registration date, and a decision may not be
//     dated before its check, so no hour counts twice.
//   - "Stopped teaching more than one semester without approved leave" is
//     read as: unapproved absences inside the cycle adding up to more than
//     MaxUnapprovedAbsenceDays (default 183, half a year: a semester with its
//     holiday).
//   - 基本合格 does not meet "合格以上等次"; with an ethics result of 不达标
//     short of a serious breach, a missing result, or an unconfirmed fitness
//     to teach, it defers: the pass conditions are unmet and none of the
//     failure conditions holds.
//   - Before the cycle ends the outcome is not_due, with the reasons that
//     already stand (a completed year's appraisal, ethics, absences, a
//     completed cycle year's minimum) and the hours still missing; only a
//     revoked certificate fails at once. An exemption of the policy wins
//     over everything but a revoked certificate.
//   - Credits convert to hours (entries recorded without hours, at the
//     policy's HoursPerCredit) exactly: 359 h plus 0.5 credit at 1 h per
//     credit is 359.5 h, short of a 360 h rule. Nothing is rounded, in the
//     teacher's favour or against it; every figure of a policy takes one
//     decimal place.
//   - A published policy names a real region (GB/T 2260) and takes effect
//     on or after 2018-01-01 (FirstPolicyDate); the national default covers
//     everything before. A policy also carries the plausibility limits of
//     the record (MaxEntryHours, MaxYearHours; zero takes the national 500
//     and 1,000 hours), applied to imports and credit-bank recognitions.
//   - A registration decision (the first included) may not be dated after
//     the day it is recorded.
//   - A per-year minimum is checked on each completed cycle year (the year
//     from the registration anniversary); hours made up later do not fill an
//     earlier year.
//
// It may import the standard library, uuid, domain, domain/event,
// domain/access, domain/credit, domain/appraisal and domain/region. It is
// pure.
package registration
