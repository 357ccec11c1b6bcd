"""Every change of state in core: one named function each, owning its transaction and audit entry."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.mail import send_templated_mail
from maillage.core.models import Invitation, Membership, Organisation, Role, User
from maillage.core.tenancy import forget_roles


def invite_member(inviter: User, organisation: Organisation, email: str, role: str, language: str) -> Invitation:
    """Create an invitation and email its link; the link expires after MAILLAGE_INVITATION_DAYS."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role: %(role)s.") % {"role": role}})
    email = email.strip().lower()
    if Membership.objects.filter(organisation=organisation, user__email=email, role=role, is_active=True).exists():
        raise ValidationError({"email": _("This person already has this role in your organisation.")})
    now = timezone.now()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organisation=organisation,
            email=email,
            role=role,
            language=language,
            token=secrets.token_urlsafe(32),
            invited_by=inviter,
            created_at=now,
            expires_at=now + timedelta(days=settings.MAILLAGE_INVITATION_DAYS),
        )
        log_action(inviter, "core.invitation.created", invitation, {"role": role}, organisation=organisation)
        link = settings.SITE_URL + reverse("core:accept_invitation", args=[invitation.token])
        transaction.on_commit(
            lambda: send_templated_mail(
                "core/emails/invitation",
                [email],
                {"invitation": invitation, "link": link, "inviter": inviter},
                language=language,
            )
        )
    return invitation


def find_pending_invitation(token: str) -> Invitation:
    """The invitation behind a link, or a ValidationError saying why it cannot be used."""
    invitation = Invitation.objects.select_related("organisation").filter(token=token).first()
    if invitation is None or invitation.revoked_at is not None:
        raise ValidationError(_("This invitation link is not valid. Ask your coordinator for a new one."))
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been used. Sign in with your email address."))
    if invitation.expires_at <= timezone.now():
        raise ValidationError(_("This invitation link has expired. Ask your coordinator for a new one."))
    return invitation


def accept_invitation(token: str, *, user: User | None, full_name: str = "", password: str = "") -> User:
    """Join the organisation with the invited role, creating the account if there is none."""
    with transaction.atomic():
        invitation = find_pending_invitation(token)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if user is None:
            user = User.objects.filter(email=invitation.email).first()
            if user is None:
                user = User.objects.create_user(
                    invitation.email, password, full_name=full_name, language=invitation.language
                )
        membership, _created = Membership.objects.get_or_create(
            user=user, organisation=invitation.organisation, role=invitation.role
        )
        if not membership.is_active:
            membership.is_active = True
            membership.save(update_fields=["is_active"])
        forget_roles(user)
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        log_action(
            user,
            "core.invitation.accepted",
            invitation,
            {"role": invitation.role},
            organisation=invitation.organisation,
        )
    return user


def revoke_invitation(actor: User, invitation: Invitation) -> None:
    with transaction.atomic():
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        log_action(actor, "core.invitation.revoked", invitation, organisation=invitation.organisation)


def remove_member(actor: User, membership: Membership) -> None:
    """End a membership; the person keeps their account and their other memberships."""
    with transaction.atomic():
        membership.is_active = False
        membership.save(update_fields=["is_active"])
        if membership.user_id == actor.pk:
            forget_roles(actor)
        log_action(
            actor,
            "core.membership.removed",
            membership,
            {"role": membership.role, "user_id": membership.user_id},
            organisation=membership.organisation,
        )


def set_user_language(user: User, language: str) -> None:
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
