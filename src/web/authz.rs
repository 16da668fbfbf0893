//! Who may do what: decided here and nowhere else. Handlers ask one of these
//! questions before they read or write; an out-of-scope record answers
//! "not found", so a treasurer cannot even learn that another group's member
//! exists.

use super::session::Principal;
use super::AppError;
use crate::groups::{GroupId, Member};

/// What a signed-in person is asking to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Group pages, loans, meetings, passbooks: read.
    ReadGroup(GroupId),
    /// Record meetings, repayments, loan applications, corrections,
    /// reconciliations and member PINs in a group.
    KeepBooks(GroupId),
    /// Approve what needs the program's approval: reschedules, write-offs.
    Approve(GroupId),
    /// Enrol a new member: the group's treasurer or the program admin.
    EnrolMember(GroupId),
    /// Set a member's PIN: the group's treasurer or program staff.
    SetPin(GroupId),
    /// The program-wide dashboard.
    ProgramOverview,
    /// Users, groups, products, API tokens.
    Administer,
    /// A member's own page.
    OwnPage,
    /// Clients' rehabilitation, livelihood, consent and incident records:
    /// read and add. Counsellors and program staff only.
    ClientRecords,
    /// A client's name and contacts, opened from the sealed record.
    ClientIdentity,
    /// Reports that link the books to rehabilitation records, and the
    /// access log: program staff.
    LinkageReports,
}

pub fn allowed(principal: &Principal, action: Action) -> bool {
    use Action::*;
    match (principal, action) {
        (
            Principal::Admin(_),
            ReadGroup(_) | ProgramOverview | Administer | Approve(_) | EnrolMember(_) | SetPin(_),
        ) => true,
        (
            Principal::Staff(_),
            ReadGroup(_) | ProgramOverview | Approve(_) | SetPin(_) | ClientRecords
            | ClientIdentity | LinkageReports,
        ) => true,
        // A counsellor works with women, not with group books: the sensitive
        // records and nothing of the ledger.
        (Principal::Counsellor(_), ClientRecords | ClientIdentity) => true,
        (
            Principal::Treasurer { groups, .. },
            ReadGroup(g) | KeepBooks(g) | EnrolMember(g) | SetPin(g),
        ) => groups.contains(&g),
        (Principal::Member(_), OwnPage) => true,
        _ => false,
    }
}

/// `Ok` when allowed; otherwise "not found" for records of a group the
/// person has no business with, and "forbidden" for whole functions.
pub fn require(principal: &Principal, action: Action) -> Result<(), AppError> {
    if allowed(principal, action) {
        return Ok(());
    }
    match action {
        _ if action
            .group()
            .is_some_and(|g| !allowed(principal, Action::ReadGroup(g))) =>
        {
            Err(AppError::NotFound)
        }
        _ => Err(AppError::Forbidden),
    }
}

impl Action {
    /// The group a group-scoped action is about.
    pub fn group(self) -> Option<GroupId> {
        match self {
            Action::ReadGroup(g)
            | Action::KeepBooks(g)
            | Action::Approve(g)
            | Action::EnrolMember(g)
            | Action::SetPin(g) => Some(g),
            Action::ProgramOverview
            | Action::Administer
            | Action::OwnPage
            | Action::ClientRecords
            | Action::ClientIdentity
            | Action::LinkageReports => None,
        }
    }
}

/// A member record is visible to whoever may read her group, and to herself.
pub fn require_member(principal: &Principal, member: &Member) -> Result<(), AppError> {
    match principal {
        Principal::Member(me) if me.id == member.id => Ok(()),
        Principal::Member(_) => Err(AppError::NotFound),
        _ => require(principal, Action::ReadGroup(member.group_id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use crate::store::{Role, User};
    use chrono::NaiveDate;

    fn user(role: Role) -> User {
        User {
            id: 1,
            username: "u".into(),
            display_name: "U".into(),
            role,
            must_change_password: false,
            lang: Lang::En,
            active: true,
        }
    }

    fn member(id: i64, group_id: i64) -> Member {
        Member {
            id,
            group_id,
            code: format!("M{id}"),
            display_name: "A".into(),
            joined_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        }
    }

    #[test]
    fn a_treasurer_keeps_only_her_own_groups_books() {
        let t = Principal::Treasurer {
            user: user(Role::Treasurer),
            groups: vec![1],
        };
        assert!(allowed(&t, Action::KeepBooks(1)));
        assert!(matches!(
            require(&t, Action::KeepBooks(2)),
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            require(&t, Action::Approve(1)),
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            require(&t, Action::Administer),
            Err(AppError::Forbidden)
        ));
        assert!(require_member(&t, &member(5, 1)).is_ok());
        assert!(matches!(
            require_member(&t, &member(6, 2)),
            Err(AppError::NotFound)
        ));
    }

    #[test]
    fn staff_read_everything_and_keep_no_books() {
        let s = Principal::Staff(user(Role::Staff));
        assert!(allowed(&s, Action::ReadGroup(9)));
        assert!(allowed(&s, Action::Approve(9)));
        assert!(!allowed(&s, Action::KeepBooks(9)));
        assert!(!allowed(&s, Action::Administer));
    }

    #[test]
    fn only_counsellors_and_staff_reach_client_records() {
        let sensitive = [
            Action::ClientRecords,
            Action::ClientIdentity,
            Action::LinkageReports,
        ];
        let c = Principal::Counsellor(user(Role::Counsellor));
        assert!(allowed(&c, Action::ClientRecords));
        assert!(allowed(&c, Action::ClientIdentity));
        assert!(!allowed(&c, Action::LinkageReports));
        assert!(!allowed(&c, Action::ReadGroup(1)));
        let s = Principal::Staff(user(Role::Staff));
        assert!(sensitive.iter().all(|a| allowed(&s, *a)));
        let nobody_else = [
            Principal::Admin(user(Role::Admin)),
            Principal::Treasurer {
                user: user(Role::Treasurer),
                groups: vec![1],
            },
            Principal::Member(member(5, 1)),
        ];
        for p in &nobody_else {
            for a in sensitive {
                assert!(
                    matches!(require(p, a), Err(AppError::Forbidden)),
                    "{p:?} {a:?}"
                );
            }
        }
    }

    #[test]
    fn a_member_sees_only_herself() {
        let m = Principal::Member(member(5, 1));
        assert!(allowed(&m, Action::OwnPage));
        assert!(require_member(&m, &member(5, 1)).is_ok());
        assert!(matches!(
            require_member(&m, &member(6, 1)),
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            require(&m, Action::ReadGroup(1)),
            Err(AppError::NotFound)
        ));
    }
}
