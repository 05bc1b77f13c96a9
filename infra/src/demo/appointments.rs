//! Demo cross-appointments (双向进入、交叉任职), each written with the history of events that
//! led to its state.

use super::Seeder;
use crate::entities::{cross_appointment, event};
use crate::error::Result;
use crate::timeline::Stream;
use domain::appointment::{AppointmentAction, AppointmentStatus, HostKind, HostTitle};
use domain::registry::OrgKind;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

/// A demo cross-appointment.
#[derive(Clone, Copy)]
pub(super) struct DemoAppointment<'a> {
    pub(super) person: Uuid,
    pub(super) home_post: Uuid,
    pub(super) home: (OrgKind, Uuid),
    pub(super) host: (HostKind, Uuid),
    pub(super) title: HostTitle,
    pub(super) host_estate: Option<Uuid>,
    pub(super) community: Uuid,
    pub(super) basis: &'a str,
    pub(super) proposed_as: &'a str,
    pub(super) decided_by: Uuid,
    pub(super) decided: Option<(AppointmentAction, AppointmentStatus, Option<&'a str>)>,
}

impl<C: ConnectionTrait> Seeder<'_, C> {
    /// A cross-appointment with its history; `decided` is the party branch's decision, if any.
    pub(super) async fn appointment(&self, a: DemoAppointment<'_>) -> Result<()> {
        let id = Uuid::now_v7();
        let status = a.decided.map_or(AppointmentStatus::Proposed, |(_, to, _)| to);
        cross_appointment::Entity::insert(cross_appointment::ActiveModel {
            id: Set(id),
            person_id: Set(a.person),
            home_post_id: Set(a.home_post),
            home_org_kind: Set(a.home.0.as_str().into()),
            home_org_id: Set(a.home.1),
            host_kind: Set(a.host.0.as_str().into()),
            host_id: Set(a.host.1),
            host_title: Set(a.title.as_str().into()),
            host_estate_id: Set(a.host_estate),
            community_id: Set(a.community),
            starts_on: Set(self.years(-1)),
            ends_on: Set(self.years(2)),
            basis: Set(a.basis.into()),
            status: Set(status.as_str().into()),
            end_reason: Set(a.decided.and_then(|(_, _, reason)| reason.map(Into::into))),
            // One version per decision: approved or rejected is 1, ended or revoked after approval is 2.
            version: Set(match a.decided {
                None => 0,
                Some((AppointmentAction::End | AppointmentAction::Revoke, _, _)) => 2,
                Some(_) => 1,
            }),
            created_at: Set(self.now),
            decided_at: Set(a.decided.map(|_| self.now)),
        })
        .exec_without_returning(self.conn)
        .await?;
        let secretary = format!("party_branch_secretary@community:{}", a.community);
        let mut history = vec![(AppointmentAction::Propose, None, AppointmentStatus::Proposed, None, a.proposed_as)];
        if let Some((action, to, reason)) = a.decided {
            history.push((action, Some(AppointmentStatus::Proposed), to, reason, secretary.as_str()));
            if to != AppointmentStatus::Active && action != AppointmentAction::Reject {
                // Ended or revoked after having been approved.
                history.insert(
                    1,
                    (
                        AppointmentAction::Approve,
                        Some(AppointmentStatus::Proposed),
                        AppointmentStatus::Active,
                        None,
                        secretary.as_str(),
                    ),
                );
                if let Some(last) = history.last_mut() {
                    last.1 = Some(AppointmentStatus::Active);
                }
            }
        }
        for (action, from, to, note, acting_as) in history {
            event::Entity::insert(event::ActiveModel {
                id: Set(Uuid::now_v7()),
                stream: Set(Stream::CrossAppointment(id).kind().into()),
                stream_id: Set(id),
                at: Set(self.now),
                actor_account_id: Set(None),
                actor_person_id: Set(Some(a.decided_by)),
                acting_as: Set(acting_as.into()),
                action: Set(action.as_str().into()),
                from_status: Set(from.map(|s| s.as_str().into())),
                to_status: Set(to.as_str().into()),
                note: Set(note.map(Into::into)),
                detail: Set(None),
            })
            .exec_without_returning(self.conn)
            .await?;
        }
        Ok(())
    }
}
