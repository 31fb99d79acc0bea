//! A business's public standing, as its page shows it: its procurement awards and contracts with
//! our organisations, the organisations it is a tender winner of today (with the award or contract
//! that makes it so), and its entries in registers of unreliable suppliers.

use glassroom_domain::Award;
use glassroom_store::{AwardRow, BusinessRow, UnreliableRow};

use crate::meetings::org_ref;
use crate::views::OrgRef;
use crate::{Actor, App, AppError};

#[derive(Debug, Clone)]
pub struct BusinessStanding {
    /// The business (its address only for staff and the business itself).
    pub business: BusinessRow,
    /// The organisations it is a tender winner of today, with the award or contract that makes
    /// it so under each organisation's look-back.
    pub winner_of: Vec<(OrgRef, Award)>,
    /// Its awards and contracts with our organisations, newest first.
    pub awards: Vec<(OrgRef, AwardRow)>,
    /// Its entries in registers of unreliable suppliers, with whether each stands today.
    pub unreliable: Vec<(UnreliableRow, bool)>,
}

impl App {
    /// A business's standing by BIN (`NotFound` when no business has it).
    pub async fn business_standing(
        &self,
        actor: Option<&Actor>,
        bin: &str,
    ) -> Result<BusinessStanding, AppError> {
        let business = self.business_by_bin(actor, bin).await?;
        let mut tx = self.store.read().await?;
        let dir = self.directory(&mut *tx).await?;
        let listings = tx.unreliable_of(&business.bin).await?;
        drop(tx);
        let today = crate::time::local(self.clock.now())?.date();
        let mut awards: Vec<(OrgRef, AwardRow)> = dir
            .awards_of(business.id)
            .iter()
            .filter_map(|a| Some((org_ref(dir.tree.get(a.org_id)?), a.clone())))
            .collect();
        awards.sort_by(|a, b| {
            b.1.award_date
                .cmp(&a.1.award_date)
                .then(a.1.reference.cmp(&b.1.reference))
        });
        // A tender winner of an organisation is one with an award of it or of its subtree: every
        // organisation up the tree from one that awarded is asked.
        let mut orgs: Vec<i64> = Vec::new();
        for (o, _) in &awards {
            for up in dir.tree.ancestors_or_self(o.id) {
                if !orgs.contains(&up) {
                    orgs.push(up);
                }
            }
        }
        let mut winner_of = Vec::new();
        for org in orgs {
            let policy = dir.policy(org, today)?;
            if let (Some(row), Some(award)) = (
                dir.tree.get(org),
                dir.tender_award(org, business.id, today, policy.tender_lookback_months()),
            ) {
                winner_of.push((org_ref(row), award));
            }
        }
        let unreliable = listings
            .into_iter()
            .map(|r| {
                let stands = crate::unreliable::listing(&r).is_some_and(|l| l.stands_on(today));
                (r, stands)
            })
            .collect();
        Ok(BusinessStanding {
            business,
            winner_of,
            awards,
            unreliable,
        })
    }
}
