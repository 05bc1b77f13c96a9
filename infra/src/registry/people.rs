//! People and their posts: who may record which post, whose name and phone, and who
//! sees them whole.

#[allow(clippy::wildcard_imports)]
use super::*;
use sea_orm::sea_query::IntoCondition;

impl Registry {
    // ---- people ---------------------------------------------------------------------

    /// The posts in force today of several people, by person.
    pub(super) async fn posts_in_force<C: ConnectionTrait>(
        &self,
        conn: &C,
        people: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<post::Model>>> {
        let mut by_person: HashMap<Uuid, Vec<post::Model>> = HashMap::new();
        if people.is_empty() {
            return Ok(by_person);
        }
        let rows = post::Entity::find()
            .filter(post::Column::PersonId.is_in(people.iter().copied()))
            .filter(in_force::post(self.clock.today()))
            .all(conn)
            .await?;
        for row in rows {
            by_person.entry(row.person_id).or_default().push(row);
        }
        Ok(by_person)
    }

    /// The scopes where a person is known: those of every post they hold today.
    pub(super) fn person_chain(posts: &[post::Model]) -> Vec<Scope> {
        let mut chain: Vec<Scope> = Vec::new();
        for p in posts {
            let Ok(kind) = p.org_kind.parse::<OrgKind>() else { continue };
            for s in post_chain(kind, p.org_id, p.community_id, p.estate_id) {
                if !chain.contains(&s) {
                    chain.push(s);
                }
            }
        }
        if !chain.contains(&Scope::County) {
            chain.push(Scope::County);
        }
        chain
    }

    /// A person as `viewer` may see them: the phone is whole only for the person, an
    /// administrator, or a leader of one of the person's organizations; a resident (someone
    /// whose only posts are residences) shows by a masked name too, unless the viewer is
    /// the person, an administrator, or handles their estate (`sees_resident`).
    pub(super) fn to_person(viewer: &Actor, m: person::Model, posts: &[post::Model]) -> reg::Person {
        let subject: Vec<PostRecord> = posts
            .iter()
            .filter_map(|p| {
                Some(PostRecord { org_kind: p.org_kind.parse().ok()?, org_id: p.org_id, title: p.title.parse().ok()? })
            })
            .collect();
        let is_self = viewer.person_id.0 == m.id;
        let whole = may_see_phone(is_self, viewer.is_admin, &viewer.posts, &subject);
        // Someone with no post in force (moved away, not started yet) is as private as a resident.
        let resident_only = subject.iter().all(|p| p.org_kind == OrgKind::Estate);
        let homes: Vec<(EstateId, CommunityId)> =
            posts.iter().filter_map(|p| Some((EstateId(p.estate_id?), CommunityId(p.community_id?)))).collect();
        let name_whole =
            !resident_only || is_self || viewer.is_admin || domain::authz::sees_resident(&viewer.bindings, &homes);
        let phone = m.phone.map(|p| if whole && name_whole { p } else { mask_phone(&p) });
        reg::Person {
            id: m.id.into(),
            name: if name_whole { m.name } else { domain::complaint::mask_name(&m.name) },
            phone_masked: phone.is_some() && !(whole && name_whole),
            phone,
            is_party_member: m.is_party_member,
            life: life(m.created_at, m.ended_at, m.end_reason),
        }
    }

    /// Lists people holding posts today in an estate, community, company or department
    /// (everyone in the county needs a county-wide role).
    ///
    /// # Errors
    /// Forbidden, database errors.
    pub async fn list_people(&self, actor: &Actor, filter: Filter, page: PageRequest) -> Result<Page<reg::Person>> {
        let mut select = unless_ended!(person::Entity::find(), person::Column::EndedAt, filter);
        // The people holding posts today in `places`.
        let holding = |places: Condition| {
            let holders = Query::select()
                .column(post::Column::PersonId)
                .from(post::Entity)
                .cond_where(in_force::post(self.clock.today()))
                .cond_where(places)
                .to_owned();
            person::Column::Id.in_subquery(holders)
        };
        if !filter.has_scope() {
            // Without a scope: the people holding posts where the caller may read people.
            let v = Visible::of(&self.gate.scopes_allowing(actor, Resource::Person, Action::Read));
            if !v.county {
                select = select
                    .filter(Condition::any().add(person::Column::Id.eq(actor.person_id.0)).add(holding(v.posts())));
            }
        } else {
            let chain = self.filter_chain(&filter).await?;
            self.gate.require(actor, Resource::Person, Action::Read, &chain, None).await?;
            select = select.filter(holding(filter.posts()));
        }
        let page = paging::fetch(&self.db, select, person::Column::Id, |m| m.id, page, false).await?;
        let ids: Vec<Uuid> = page.items.iter().map(|p| p.id).collect();
        let posts = self.posts_in_force(&self.db, &ids).await?;
        Ok(page.map(|m| {
            let held = posts.get(&m.id).map(Vec::as_slice).unwrap_or_default();
            Self::to_person(actor, m, held)
        }))
    }

    /// Gets one person (yourself always; others where you may read people in one of the
    /// scopes they hold a post in).
    ///
    /// # Errors
    /// Not found (also when not the caller's to see), database errors.
    pub async fn get_person(&self, actor: &Actor, id: PersonId) -> Result<reg::Person> {
        let row = load::<person::Entity, _>(&self.db, id.0).await?;
        let posts = self.posts_in_force(&self.db, &[id.0]).await?.remove(&id.0).unwrap_or_default();
        if actor.person_id != id {
            self.gate.require_visible(actor, Resource::Person, &Self::person_chain(&posts), id.0, "person").await?;
        }
        Ok(Self::to_person(actor, row, &posts))
    }

    /// Registers a person, optionally with a first post (then the post's organization is
    /// where the permission is checked; without one, a county-wide role is needed).
    ///
    /// # Errors
    /// Validation, unknown organization, forbidden, database errors.
    pub async fn create_person(
        &self,
        actor: &Actor,
        input: PersonInput,
        first_post: Option<PostInput>,
    ) -> Result<reg::Person> {
        let id = PersonId::new();
        let placed = match &first_post {
            Some(p) => Some(self.place_post(p).await?),
            None => None,
        };
        let chain = placed.as_ref().map_or_else(|| vec![Scope::County], |(chain, _, _)| chain.clone());
        let decision = self.gate.require(actor, Resource::Person, Action::Create, &chain, Some(id.0)).await?;
        let post_decision = match &first_post {
            Some(p) => {
                Some(self.gate.require(actor, post_resource(p.org_kind), Action::Create, &chain, Some(id.0)).await?)
            }
            None => None,
        };
        let mut write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        person::Entity::insert(person::ActiveModel {
            name: Set(input.name),
            phone: Set(input.phone.map(|p| p.as_str().to_owned())),
            is_party_member: Set(input.is_party_member),
            ..person::Entity::new_row(id.0, self.now())
        })
        .exec_without_returning(write.conn())
        .await?;
        if let (Some(p), Some((_, community, estate)), Some(post_decision)) = (first_post, placed, post_decision) {
            person_origin::Entity::insert(person_origin::ActiveModel {
                person_id: Set(id.0),
                org_kind: Set(p.org_kind.as_str().to_owned()),
                org_id: Set(p.org_id),
            })
            .exec_without_returning(write.conn())
            .await?;
            let post_id = PostId::new();
            self.insert_post(write.conn(), post_id, id, p, community, estate).await?;
            write.also(post_decision, post_id.0);
        }
        let row = load::<person::Entity, _>(write.conn(), id.0).await?;
        let posts = self.posts_in_force(write.conn(), &[id.0]).await?.remove(&id.0).unwrap_or_default();
        write.commit().await?;
        Ok(Self::to_person(actor, row, &posts))
    }

    /// Updates a person's name, phone or party membership.
    ///
    /// # Errors
    /// Validation, not found, ended, forbidden, database errors.
    pub async fn update_person(&self, actor: &Actor, id: PersonId, patch: PersonPatch) -> Result<reg::Person> {
        let current = load::<person::Entity, _>(&self.db, id.0).await?;
        let posts = self.posts_in_force(&self.db, &[id.0]).await?.remove(&id.0).unwrap_or_default();
        // A name and phone are changed by the person, an administrator, or the organization
        // whose post created the record; never by one that merely shares a scope with them.
        let decision = if actor.person_id == id {
            self.gate.require(actor, Resource::OwnPerson, Action::Update, &[Scope::County], Some(id.0)).await?
        } else {
            self.gate.require_visible(actor, Resource::Person, &Self::person_chain(&posts), id.0, "person").await?;
            // The origin organization speaks for the record only while the person still
            // holds a post there.
            let origin = self
                .origin_of(&self.db, id)
                .await?
                .filter(|(kind, org_id)| posts.iter().any(|p| p.org_kind == kind.as_str() && p.org_id == *org_id));
            match origin {
                Some((kind, org_id)) => {
                    let (chain, ..) = self.place(kind, org_id).await?;
                    self.gate.require(actor, post_resource(kind), Action::Update, &chain, Some(id.0)).await?
                }
                None => {
                    self.gate.require(actor, Resource::Person, Action::Update, &[Scope::County], Some(id.0)).await?
                }
            }
        };
        let phone = patch.phone.unwrap_or(current.phone.clone());
        let input = PersonInput::validate(
            patch.name.as_deref().unwrap_or(&current.name),
            phone.as_deref(),
            patch.is_party_member.unwrap_or(current.is_party_member),
        )?;
        let row = self
            .update::<person::Entity>(actor, decision, id.0, None, async |_, row| {
                let mut active = row.into_active_model();
                active.name = Set(input.name);
                active.phone = Set(input.phone.map(|p| p.as_str().to_owned()));
                active.is_party_member = Set(input.is_party_member);
                Ok(active)
            })
            .await?;
        Ok(Self::to_person(actor, row, &posts))
    }

    /// Ends a person's record (moved away, deceased): their posts end and their account can
    /// no longer sign in.
    ///
    /// # Errors
    /// Not found, already ended, forbidden, database errors.
    pub async fn end_person(&self, actor: &Actor, id: PersonId, reason: Option<String>) -> Result<reg::Person> {
        let reason = validate_reason(reason.as_deref())?;
        load::<person::Entity, _>(&self.db, id.0).await?;
        let posts = self.posts_in_force(&self.db, &[id.0]).await?.remove(&id.0).unwrap_or_default();
        let chain = Self::person_chain(&posts);
        self.gate.require_visible(actor, Resource::Person, &chain, id.0, "person").await?;
        let decision = self.gate.require(actor, Resource::Person, Action::End, &chain, Some(id.0)).await?;
        let row = self
            .end::<person::Entity>(actor, decision, id.0, reason, async |txn, now| {
                end_where::<post::Entity, _>(txn, "person_id", id.0, now, Some("人员注销".to_owned())).await?;
                account::Entity::update_many()
                    .col_expr(account::Column::DisabledAt, Expr::value(Some(now)))
                    .filter(account::Column::PersonId.eq(id.0))
                    .filter(account::Column::DisabledAt.is_null())
                    .exec(txn)
                    .await?;
                Ok(())
            })
            .await?;
        Ok(Self::to_person(actor, row, &[]))
    }

    // ---- posts ----------------------------------------------------------------------

    /// Finds an organization: the scopes containing it, its community and its estate (stored
    /// on its posts so lists by community or estate need no joins), and when it ended.
    pub(super) async fn place(
        &self,
        kind: OrgKind,
        org_id: Uuid,
    ) -> Result<(Vec<Scope>, Option<Uuid>, Option<Uuid>, Option<DateTime<Utc>>)> {
        let unknown = || Error::from(DomainError::field("org_id", Code::UnknownOrganization));
        let (community, estate, ended_at) = match kind {
            OrgKind::PartyBranch | OrgKind::ResidentsCommittee => {
                let c = community::Entity::find_by_id(org_id).one(&self.db).await?.ok_or_else(unknown)?;
                (Some(c.id), None, c.ended_at)
            }
            OrgKind::Grid => {
                let g = grid::Entity::find_by_id(org_id).one(&self.db).await?.ok_or_else(unknown)?;
                (Some(g.community_id), None, g.ended_at)
            }
            OrgKind::Estate => {
                let e = estate::Entity::find_by_id(org_id).one(&self.db).await?.ok_or_else(unknown)?;
                (Some(e.community_id), Some(e.id), e.ended_at)
            }
            OrgKind::OwnersCommittee => {
                let oc = owners_committee::Entity::find_by_id(org_id).one(&self.db).await?.ok_or_else(unknown)?;
                let e = load::<estate::Entity, _>(&self.db, oc.estate_id).await?;
                (Some(e.community_id), Some(e.id), oc.ended_at)
            }
            OrgKind::PropertyCompany => {
                let p = property_company::Entity::find_by_id(org_id).one(&self.db).await?.ok_or_else(unknown)?;
                (None, None, p.ended_at)
            }
            OrgKind::Department => {
                let d = department::Entity::find_by_id(org_id).one(&self.db).await?.ok_or_else(unknown)?;
                (None, None, d.ended_at)
            }
            OrgKind::County => {
                if !org_id.is_nil() {
                    return Err(unknown());
                }
                (None, None, None)
            }
        };
        Ok((post_chain(kind, org_id, community, estate), community, estate, ended_at))
    }

    /// Finds the organization a new post is in, which must not have ended.
    pub(super) async fn place_post(&self, input: &PostInput) -> Result<(Vec<Scope>, Option<Uuid>, Option<Uuid>)> {
        let (chain, community, estate, ended_at) = self.place(input.org_kind, input.org_id).await?;
        if ended_at.is_some() {
            return Err(DomainError::field("org_id", Code::OrganizationEnded).into());
        }
        Ok((chain, community, estate))
    }

    /// The organization whose post created a person's record, if any.
    pub(super) async fn origin_of<C: ConnectionTrait>(
        &self,
        conn: &C,
        id: PersonId,
    ) -> Result<Option<(OrgKind, Uuid)>> {
        let Some(row) = person_origin::Entity::find_by_id(id.0).one(conn).await? else { return Ok(None) };
        let kind =
            row.org_kind.parse::<OrgKind>().map_err(|e| Error::Unexpected(format!("origin of {}: {e}", id.0)))?;
        Ok(Some((kind, row.org_id)))
    }

    pub(super) async fn insert_post<C: ConnectionTrait>(
        &self,
        conn: &C,
        id: PostId,
        person_id: PersonId,
        input: PostInput,
        community: Option<Uuid>,
        estate: Option<Uuid>,
    ) -> Result<()> {
        post::Entity::insert(post::ActiveModel {
            person_id: Set(person_id.0),
            org_kind: Set(input.org_kind.as_str().to_owned()),
            org_id: Set(input.org_id),
            title: Set(input.title.as_str().to_owned()),
            starts_on: Set(input.term.start),
            ends_on: Set(input.term.end),
            community_id: Set(community),
            estate_id: Set(estate),
            ..post::Entity::new_row(id.0, self.now())
        })
        .exec_without_returning(conn)
        .await?;
        Ok(())
    }

    /// Lists posts by person, estate, community, company or department.
    ///
    /// # Errors
    /// Forbidden, database errors.
    pub async fn list_posts(&self, actor: &Actor, filter: Filter, page: PageRequest) -> Result<Page<reg::Post>> {
        let mut select = unless_ended!(post::Entity::find(), post::Column::EndedAt, filter);
        // Someone else's posts: only those in scopes where the caller may read posts.
        let mut only_readable = false;
        match filter.person_id {
            Some(p) if p == actor.person_id => {}
            Some(p) => {
                let posts = self.posts_in_force(&self.db, &[p.0]).await?.remove(&p.0).unwrap_or_default();
                self.gate.require(actor, Resource::Post, Action::Read, &Self::person_chain(&posts), None).await?;
                only_readable = true;
            }
            None if filter.has_scope() => {
                let chain = self.filter_chain(&filter).await?;
                self.gate.require(actor, Resource::Post, Action::Read, &chain, None).await?;
            }
            None => {
                let v = Visible::of(&self.gate.scopes_allowing(actor, Resource::Post, Action::Read));
                if !v.county {
                    select = select
                        .filter(Condition::any().add(post::Column::PersonId.eq(actor.person_id.0)).add(v.posts()));
                }
            }
        }
        if let Some(p) = filter.person_id {
            select = select.filter(post::Column::PersonId.eq(p.0));
        }
        if filter.has_scope() {
            select = select.filter(filter.posts());
        }
        let page = paging::fetch(&self.db, select, post::Column::Id, |m| m.id, page, false).await?;
        let rows: Vec<post::Model> = if only_readable {
            page.items
                .into_iter()
                .filter(|row| {
                    row.org_kind.parse::<OrgKind>().is_ok_and(|kind| {
                        let chain = post_chain(kind, row.org_id, row.community_id, row.estate_id);
                        self.gate.allows(actor, Resource::Post, Action::Read, &chain)
                    })
                })
                .collect()
        } else {
            page.items
        };
        let mut items = rows.into_iter().map(to_post).collect::<Result<Vec<_>>>()?;
        self.mark_awaiting(&mut items).await?;
        Ok(Page { items, next_cursor: page.next_cursor })
    }

    /// The posts of the invitations `which` picks that have not been accepted.
    async fn not_accepted(&self, which: impl IntoCondition) -> Result<Vec<Uuid>> {
        let invitations = post_invitation::Entity::find()
            .filter(which)
            .filter(post_invitation::Column::AcceptedAt.is_null())
            .all(&self.db)
            .await?;
        Ok(invitations.into_iter().map(|i| i.post_id).collect())
    }

    /// Marks the posts still waiting for their holder's acceptance.
    pub(super) async fn mark_awaiting(&self, posts: &mut [reg::Post]) -> Result<()> {
        if posts.is_empty() {
            return Ok(());
        }
        let waiting = self.not_accepted(post_invitation::Column::PostId.is_in(posts.iter().map(|p| p.id.0))).await?;
        for post in posts.iter_mut() {
            post.awaiting_acceptance = waiting.contains(&post.id.0);
        }
        Ok(())
    }

    /// Gets one post.
    ///
    /// # Errors
    /// Not found (also when not the caller's to see), database errors.
    pub async fn get_post(&self, actor: &Actor, id: PostId) -> Result<reg::Post> {
        let row = load::<post::Entity, _>(&self.db, id.0).await?;
        if row.person_id != actor.person_id.0 {
            let post = to_post(row.clone())?;
            let chain = post_chain(post.org_kind, post.org_id, row.community_id, row.estate_id);
            self.gate.require_visible(actor, Resource::Post, &chain, id.0, "post").await?;
        }
        let mut post = [to_post(row)?];
        self.mark_awaiting(&mut post).await?;
        let [post] = post;
        Ok(post)
    }

    /// Appoints a person to a post.
    ///
    /// # Errors
    /// Validation (title for the kind, term), unknown person or organization, forbidden,
    /// database errors.
    pub async fn create_post(&self, actor: &Actor, person_id: PersonId, input: PostInput) -> Result<reg::Post> {
        let (chain, community, estate) = self.place_post(&input).await?;
        let id = PostId::new();
        let resource = post_resource(input.org_kind);
        let decision = self.gate.require(actor, resource, Action::Create, &chain, Some(id.0)).await?;
        let person = load::<person::Entity, _>(&self.db, person_id.0)
            .await
            .map_err(|_| DomainError::field("person_id", Code::UnknownPerson))?;
        if person.ended_at.is_some() {
            return Err(DomainError::field("person_id", Code::PersonEnded).into());
        }
        // A company linking someone who already serves elsewhere gives them no role until they
        // accept: otherwise a company could make a secretary its "staff" (recusing them) or read
        // their phone as their "manager".
        // Any post not yet ended counts, future ones too: a post that starts next month is
        // already someone's place.
        let held = post::Entity::find()
            .filter(post::Column::PersonId.eq(person_id.0))
            .filter(post::Column::EndedAt.is_null())
            .all(&self.db)
            .await?;
        let needs_acceptance = !actor.is_admin
            && actor.person_id != person_id
            && held.iter().any(|p| !(p.org_kind == input.org_kind.as_str() && p.org_id == input.org_id));
        if input.org_kind == OrgKind::OwnersCommittee {
            self.refuse_serving_company_staff(&held, estate).await?;
        }
        let row = self
            .write(actor, decision, id.0, async |txn| {
                self.insert_post(txn, id, person_id, input, community, estate).await?;
                if needs_acceptance {
                    post_invitation::Entity::insert(post_invitation::ActiveModel {
                        post_id: Set(id.0),
                        person_id: Set(person_id.0),
                        invited_by: Set(actor.person_id.0),
                        created_at: Set(self.now()),
                        accepted_at: Set(None),
                        declined_at: Set(None),
                    })
                    .exec_without_returning(txn)
                    .await?;
                }
                load::<post::Entity, _>(txn, id.0).await
            })
            .await?;
        let mut post = to_post(row)?;
        post.awaiting_acceptance = needs_acceptance;
        Ok(post)
    }

    /// Refuses an owners' committee post to someone who works for the company serving that
    /// estate today: the committee checks that company.
    async fn refuse_serving_company_staff(&self, held: &[post::Model], estate: Option<Uuid>) -> Result<()> {
        let Some(estate) = estate else { return Ok(()) };
        let serving: Vec<Uuid> = service_contract::Entity::find()
            .filter(service_contract::Column::EstateId.eq(estate))
            .filter(in_force::contract(self.clock.today()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|c| c.company_id)
            .collect();
        let staff = held.iter().any(|p| p.org_kind == OrgKind::PropertyCompany.as_str() && serving.contains(&p.org_id));
        if staff {
            return Err(DomainError::Conflict { code: Code::ServesTheCheckedCompany }.into());
        }
        Ok(())
    }

    /// The posts waiting for `actor` to accept them (recorded for them by someone else while
    /// they serve elsewhere).
    ///
    /// # Errors
    /// Database errors.
    pub async fn invitations(&self, actor: &Actor) -> Result<Vec<reg::Post>> {
        let waiting = self
            .not_accepted(
                Condition::all()
                    .add(post_invitation::Column::PersonId.eq(actor.person_id.0))
                    .add(post_invitation::Column::DeclinedAt.is_null()),
            )
            .await?;
        let rows = post::Entity::find()
            .filter(post::Column::Id.is_in(waiting))
            .filter(post::Column::EndedAt.is_null())
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|row| {
                let mut post = to_post(row)?;
                post.awaiting_acceptance = true;
                Ok(post)
            })
            .collect()
    }

    /// Accepts (`accept`) or declines a post someone recorded for the caller; declining ends
    /// the post. Only the person may answer.
    ///
    /// # Errors
    /// Not found (no such invitation for the caller), already answered (409), database errors.
    pub async fn answer_invitation(&self, actor: &Actor, id: PostId, accept: bool) -> Result<reg::Post> {
        let invitation = post_invitation::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .filter(|i| i.person_id == actor.person_id.0)
            .ok_or(DomainError::NotFound { entity: "invitation" })?;
        let decision =
            self.gate.require(actor, Resource::OwnPerson, Action::Update, &[Scope::County], Some(id.0)).await?;
        let now = self.now();
        let row = self
            .write(actor, decision, invitation.post_id, async |txn| {
                let column =
                    if accept { post_invitation::Column::AcceptedAt } else { post_invitation::Column::DeclinedAt };
                let done = post_invitation::Entity::update_many()
                    .col_expr(column, Expr::value(Some(now)))
                    .filter(post_invitation::Column::PostId.eq(id.0))
                    .filter(post_invitation::Column::AcceptedAt.is_null())
                    .filter(post_invitation::Column::DeclinedAt.is_null())
                    .exec(txn)
                    .await?;
                if done.rows_affected != 1 {
                    return Err(DomainError::Conflict { code: Code::AlreadyAnswered }.into());
                }
                if !accept {
                    end_row::<post::Entity, _>(txn, id.0, now, Some("本人未接受".to_owned())).await?;
                }
                load::<post::Entity, _>(txn, id.0).await
            })
            .await?;
        to_post(row)
    }

    /// Changes a post's title (within its organization's titles) or the end of its term.
    ///
    /// # Errors
    /// Validation, not found, ended, forbidden, database errors.
    pub async fn update_post(&self, actor: &Actor, id: PostId, patch: PostPatch) -> Result<reg::Post> {
        let current = to_post(load::<post::Entity, _>(&self.db, id.0).await?)?;
        let chain = post_chain(
            current.org_kind,
            current.org_id,
            current.community_id.map(|c| c.0),
            current.estate_id.map(|e| e.0),
        );
        if current.person_id != actor.person_id {
            self.gate.require_visible(actor, Resource::Post, &chain, id.0, "post").await?;
        }
        let decision =
            self.gate.require(actor, post_resource(current.org_kind), Action::Update, &chain, Some(id.0)).await?;
        let input = PostInput::validate(
            current.org_kind.as_str(),
            current.org_id,
            patch.title.as_deref().unwrap_or(current.title.as_str()),
            current.term.start,
            patch.ends_on.unwrap_or(current.term.end),
        )?;
        let row = self
            .update::<post::Entity>(actor, decision, id.0, None, async |_, row| {
                let mut active = row.into_active_model();
                active.title = Set(input.title.as_str().to_owned());
                active.ends_on = Set(input.term.end);
                Ok(active)
            })
            .await?;
        to_post(row)
    }

    /// Ends a post now; the rights it gave end on the next request.
    ///
    /// # Errors
    /// Not found, already ended, forbidden, database errors.
    pub async fn end_post(&self, actor: &Actor, id: PostId, reason: Option<String>) -> Result<reg::Post> {
        let reason = validate_reason(reason.as_deref())?;
        let current = to_post(load::<post::Entity, _>(&self.db, id.0).await?)?;
        let chain = post_chain(
            current.org_kind,
            current.org_id,
            current.community_id.map(|c| c.0),
            current.estate_id.map(|e| e.0),
        );
        let own = current.person_id == actor.person_id;
        if !own {
            self.gate.require_visible(actor, Resource::Post, &chain, id.0, "post").await?;
        }
        // A resident may end their own residence (moving away); other posts are ended by
        // whoever records that kind.
        let resource = if own && current.org_kind == OrgKind::Estate {
            Resource::OwnResidence
        } else {
            post_resource(current.org_kind)
        };
        let decision = self.gate.require(actor, resource, Action::End, &chain, Some(id.0)).await?;
        to_post(self.end::<post::Entity>(actor, decision, id.0, reason, async |_, _| Ok(())).await?)
    }
}
