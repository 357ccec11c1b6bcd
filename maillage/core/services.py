"""Every change of state in core: one named function each, owning its transaction and audit entry."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.core.audit import log_action
from maillage.core.models import Invitation, Membership, Organisation, Role, User
from maillage.core.outbox import queue_email
from maillage.core.tenancy import forget_roles, has_role, organisation_ids

# --- Roles -----------------------------------------------------------------------------------
# Every grant, change and removal of a membership goes through these three functions, whoever
# asks (the members page, an accepted invitation, the admin), so each one is in the audit log
# of the organisation concerned, where its coordinators read it.


def check_may_grant(actor: User | None, user: User, organisation: Organisation, role: str) -> str:
    """Decide whether `actor` may give `user` `role` in `organisation`; return the clean role.

    `actor` None is the system (a management command, the demo). Nobody grants a role to
    themselves in an organisation they do not already coordinate: federation staff and
    administrators manage organisations, they do not get case-file access by writing it in.
    """
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role: %(role)s.") % {"role": role}})
    if actor is None:
        return role
    coordinates = organisation.pk in organisation_ids(actor, [Role.COORDINATOR])
    if actor.pk == user.pk and not coordinates:
        raise ValidationError(
            _("You cannot give yourself a role in %(organisation)s: ask one of its coordinators.")
            % {"organisation": organisation}
        )
    if not (coordinates or actor.is_superuser or has_role(actor, Role.FEDERATION_STAFF, Role.ADMINISTRATOR)):
        raise ValidationError(
            _("Only a coordinator of %(organisation)s may change its team.") % {"organisation": organisation}
        )
    return role


def _refuse(
    actor: User | None, code: str, user: User, organisation: Organisation, role: str, error: ValidationError
) -> None:
    """Write the refusal in its own transaction (the caller's rolls back), then raise."""
    with transaction.atomic():
        log_action(actor, code, user, {"role": role, "user_id": user.pk}, organisation=organisation)
    raise error


def grant_role(
    actor: User | None, user: User, organisation: Organisation, role: str, *, via: str = "members"
) -> Membership:
    """Give `user` `role` in `organisation` (a new or a re-activated membership), audited."""
    try:
        role = check_may_grant(actor, user, organisation, role)
    except ValidationError as error:
        _refuse(actor, "core.membership.grant_refused", user, organisation, role, error)
    with transaction.atomic():
        membership, created = Membership.objects.select_for_update().get_or_create(
            user=user, organisation=organisation, role=role
        )
        if not created and membership.is_active and membership.expires_at is None:
            return membership
        if not membership.is_active or membership.expires_at is not None:
            membership.is_active, membership.expires_at, membership.emergency_reason = True, None, ""
            membership.save(update_fields=["is_active", "expires_at", "emergency_reason"])
        forget_roles(user)
        log_action(
            actor,
            "core.membership.granted",
            membership,
            {"role": role, "user_id": user.pk, "via": via},
            organisation=organisation,
        )
    return membership


def check_emergency_access(actor: User, organisation: Organisation, role: str, reason: str) -> tuple[str, str]:
    """Federation staff and administrators may open a centre to themselves, for a while, saying why."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role: %(role)s.") % {"role": role}})
    if not (actor.is_superuser or has_role(actor, Role.FEDERATION_STAFF, Role.ADMINISTRATOR)):
        raise ValidationError(_("Only federation staff and administrators may open an emergency access."))
    if Membership.objects.filter(
        user=actor, organisation=organisation, role=role, is_active=True, expires_at=None
    ).exists():
        raise ValidationError(_("You already have this role in this organisation."))
    reason = " ".join(reason.split())
    if len(reason) < EMERGENCY_REASON_MIN_CHARS:
        raise ValidationError(
            {
                "emergency_reason": _("Say why in at least %(count)d characters: the coordinators will read it.")
                % {"count": EMERGENCY_REASON_MIN_CHARS}
            }
        )
    return role, reason


EMERGENCY_REASON_MIN_CHARS = 20


def grant_emergency_access(actor: User, organisation: Organisation, role: str, reason: str) -> Membership:
    """A role in a centre for MAILLAGE_EMERGENCY_ACCESS_HOURS, with a written reason; in the centre's audit log
    and on its team page, where its coordinators see it."""
    try:
        role, reason = check_emergency_access(actor, organisation, role, reason)
    except ValidationError as error:
        _refuse(actor, "core.membership.emergency_refused", actor, organisation, role, error)
    expires_at = timezone.now() + timedelta(hours=settings.MAILLAGE_EMERGENCY_ACCESS_HOURS)
    with transaction.atomic():
        membership, _created = Membership.objects.select_for_update().get_or_create(
            user=actor, organisation=organisation, role=role, defaults={"expires_at": expires_at}
        )
        membership.is_active = True
        membership.expires_at = expires_at
        membership.emergency_reason = reason
        membership.save(update_fields=["is_active", "expires_at", "emergency_reason"])
        forget_roles(actor)
        log_action(
            actor,
            "core.membership.emergency_granted",
            membership,
            {"role": role, "user_id": actor.pk, "reason": reason, "expires_at": expires_at.isoformat()},
            organisation=organisation,
        )
    return membership


def change_role(actor: User | None, membership: Membership, role: str, *, via: str = "members") -> Membership:
    """Move a membership to another role in the same organisation, audited."""
    previous = membership.role
    if role == previous:
        return membership
    try:
        role = check_may_grant(actor, membership.user, membership.organisation, role)
        if Membership.objects.filter(
            user=membership.user_id, organisation=membership.organisation_id, role=role
        ).exists():
            raise ValidationError({"role": _("This person already has this role in this organisation.")})
    except ValidationError as error:
        _refuse(actor, "core.membership.change_refused", membership.user, membership.organisation, role, error)
    with transaction.atomic():
        membership.role = role
        membership.save(update_fields=["role"])
        forget_roles(membership.user)
        log_action(
            actor,
            "core.membership.changed",
            membership,
            {"role": role, "previous_role": previous, "user_id": membership.user_id, "via": via},
            organisation=membership.organisation,
        )
    return membership


def remove_member(actor: User | None, membership: Membership, *, via: str = "members") -> None:
    """End a membership; the person keeps their account and other memberships, but signs in again."""
    with transaction.atomic():
        membership.is_active = False
        membership.save(update_fields=["is_active"])
        forget_roles(membership.user)
        if actor is not None and membership.user_id == actor.pk:
            forget_roles(actor)
        log_action(
            actor,
            "core.membership.removed",
            membership,
            {"role": membership.role, "user_id": membership.user_id, "via": via},
            organisation=membership.organisation,
        )
        if actor is None or membership.user_id != actor.pk:
            end_sessions_of(membership.user_id)


def end_sessions_of(user_id: int) -> int:
    """Sign a person out everywhere (their sessions rows are deleted); the number ended."""
    from allauth.usersessions.models import UserSession

    user = User.objects.get(pk=user_id)
    sessions = UserSession.objects.purge_and_list(user)
    for session in sessions:
        session.end()
    return len(sessions)


# --- Invitations -----------------------------------------------------------------------------


def invitation_token_hash(token: str) -> str:
    """What the database keeps of an invitation link: reading the table gives no usable link."""
    return hashlib.sha256(token.encode()).hexdigest()


def invite_member(inviter: User, organisation: Organisation, email: str, role: str, language: str) -> Invitation:
    """Create an invitation and email its link; the link expires after MAILLAGE_INVITATION_DAYS.

    The returned invitation carries the link's token as `plain_token`; only its hash is stored.
    """
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role: %(role)s.") % {"role": role}})
    email = email.strip().lower()
    if Membership.objects.filter(organisation=organisation, user__email=email, role=role, is_active=True).exists():
        raise ValidationError({"email": _("This person already has this role in your organisation.")})
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organisation=organisation,
            email=email,
            role=role,
            language=language,
            token_hash=invitation_token_hash(token),
            invited_by=inviter,
            created_at=now,
            expires_at=now + timedelta(days=settings.MAILLAGE_INVITATION_DAYS),
        )
        log_action(inviter, "core.invitation.created", invitation, {"role": role}, organisation=organisation)
        link = settings.SITE_URL + reverse("core:accept_invitation", args=[token])
        queue_email(
            "core/emails/invitation",
            [email],
            {"invitation": invitation, "link": link, "inviter": inviter},
            language=language,
        )
    invitation.plain_token = token  # type: ignore[attr-defined]
    return invitation


def find_pending_invitation(token: str) -> Invitation:
    """The invitation behind a link, or a ValidationError saying why it cannot be used."""
    invitation = (
        Invitation.objects.select_related("organisation").filter(token_hash=invitation_token_hash(token)).first()
    )
    if invitation is None or invitation.revoked_at is not None:
        raise ValidationError(_("This invitation link is not valid. Ask your coordinator for a new one."))
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been used. Sign in with your email address."))
    if invitation.expires_at <= timezone.now():
        raise ValidationError(_("This invitation link has expired. Ask your coordinator for a new one."))
    return invitation


def account_exists_for(invitation: Invitation) -> bool:
    return User.objects.filter(email__iexact=invitation.email).exists()


INVITATION_MISMATCH = gettext_lazy(
    "This invitation was sent to another email address. Sign out and sign in with the invited"
    " address, or ask your coordinator to invite the address of your account."
)


def check_invitation_is_for(invitation: Invitation, user: User) -> None:
    """Refuse (audited) a signed-in person whose address is not the one invited."""
    if user.email.strip().lower() != invitation.email.strip().lower():
        with transaction.atomic():
            log_action(
                user,
                "core.invitation.refused_mismatch",
                invitation,
                {"role": invitation.role},
                organisation=invitation.organisation,
            )
        raise ValidationError(str(INVITATION_MISMATCH))


def accept_invitation(token: str, user: User) -> Membership:
    """A signed-in person joins with the invited role, once; only the invited address may."""
    invitation = find_pending_invitation(token)
    check_invitation_is_for(invitation, user)
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not invitation.is_pending:
            raise ValidationError(_("This invitation has already been used. Sign in with your email address."))
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        log_action(
            user,
            "core.invitation.accepted",
            invitation,
            {"role": invitation.role},
            organisation=invitation.organisation,
        )
        # The grant is the inviting coordinator's decision, which the person accepts here.
        return grant_role(None, user, invitation.organisation, invitation.role, via="invitation")


def create_account_from_invitation(token: str, *, full_name: str, password: str) -> User:
    """A new account for the invited address (none exists yet), joined to the organisation.

    The caller signs the person in through allauth's flow; an address that already has an
    account never gets here: its owner signs in first, with their password and second factor.
    """
    invitation = find_pending_invitation(token)
    with transaction.atomic():
        if account_exists_for(invitation):
            raise ValidationError(
                _("An account already exists for this address: sign in first to accept the invitation.")
            )
        user = User.objects.create_user(invitation.email, password, full_name=full_name, language=invitation.language)
        log_action(user, "core.account.created_from_invitation", user, organisation=invitation.organisation)
        accept_invitation(token, user)
    return user


def revoke_invitation(actor: User, invitation: Invitation) -> None:
    with transaction.atomic():
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        log_action(actor, "core.invitation.revoked", invitation, organisation=invitation.organisation)


def set_user_language(user: User, language: str) -> None:
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
