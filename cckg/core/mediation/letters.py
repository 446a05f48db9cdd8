"""The e-mails of mediation, each in its recipient's language (the one catalogue,
``cckg.core.i18n``): plain text, built from short translated paragraphs, with the signed links.

Text that people wrote (a need, a rejection reason) is quoted with its links defused
(``hxxp``, ``www[.]``), so no mail client turns it into something to click.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from cckg.core import i18n
from cckg.core.i18n import N_

SIGNATURE = N_("The Connective Cities Knowledge Graph")
GREETING = N_("Hello %(name)s,")
FOLLOW = N_("Follow your request here:")
YOUR_DATA = N_("See, download or erase your data here:")
IGNORE = N_("If this was not you, ignore this message: nothing is kept after %(days)s days.")

SUBJECT_CONFIRM = N_("Please confirm your e-mail address")
THANKS = {
    "need": N_("thank you for describing your need on the Connective Cities Knowledge Graph."),
    "offer": N_("thank you for offering your know-how on the Connective Cities Knowledge Graph."),
    "introduction": N_(
        "you asked to be introduced to %(counterpart)s on the Connective Cities Knowledge Graph."
    ),
}
CONFIRM_LINK = N_("Please confirm your e-mail address with this link (valid for %(days)s days):")
NEXT = {
    "need": N_(
        "Then a moderator reviews what you sent. Only the reviewed text is published, never "
        "your name or e-mail address."
    ),
    "introduction": N_(
        "Then we send your request. Your name and e-mail address are passed on only if the "
        "other side accepts."
    ),
}
NEXT["offer"] = NEXT["need"]

SUBJECT_PUBLISHED = N_("Your submission is published")
PUBLISHED = N_(
    "a moderator reviewed what you sent. It is now public, without your name or e-mail address:"
)
FIND_HELP = N_("Find who can help, and ask to be introduced:")
SUBJECT_REJECTED = N_("Your submission was not published")
REJECTED = N_("a moderator reviewed what you sent and did not publish it, for this reason:")
SEND_AGAIN = N_("You are welcome to send a new one.")
SUBJECT_MERGED = N_("Your submission joins an existing one")
MERGED = N_("a moderator found that what you sent is already described here, and joined the two:")

SUBJECT_REQUEST = N_("Someone asks to be introduced to you")
REQUEST = N_(
    "someone asks to be introduced to you (%(counterpart)s) through the Connective Cities "
    "Knowledge Graph. What they need:"
)
REQUEST_PLACE = N_("They work in %(place)s.")
REQUEST_ANSWER = N_(
    "Please answer here. If you accept, both of you receive each other's name and e-mail "
    "address in one message. If you decline or do not answer, nothing about you is passed on:"
)
SUBJECT_INTRODUCTION = N_("Your introduction through the Connective Cities Knowledge Graph")
INTRODUCTION = N_("both of you agreed to be introduced. Here is who you are:")
ABOUT = N_("What it is about:")
INTRODUCTION_NEXT = N_(
    "Please reply to all to get in touch. In %(days)s days we will ask you both how it went."
)
SUBJECT_DECLINED = N_("Your introduction request")
DECLINED = N_(
    "%(counterpart)s could not take up your request this time. Nothing about you was passed "
    "on. You can ask someone else:"
)
SUBJECT_FOLLOWUP = N_("How did it go?")
FOLLOWUP = N_(
    "some time ago you were introduced to %(other)s through the Connective Cities Knowledge "
    "Graph. How did it go? One click is enough; answers are counted anonymously:"
)

_SCHEME = re.compile(r"\b(h)(tt)(ps?)://", re.IGNORECASE)
_WWW = re.compile(r"\bwww\.", re.IGNORECASE)


def defuse(text: str) -> str:
    """``text`` with its web addresses made unclickable (hxxps://, www[.])."""
    return _WWW.sub("www[.]", _SCHEME.sub(lambda m: f"{m[1]}xx{m[3]}[:]//", text))


def quote(text: str) -> str:
    return "\n".join("> " + line for line in defuse(text).strip().splitlines())


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    lang: str = "en"
    institution: str = ""

    def address(self) -> Address:
        return Address(display_name=self.name, addr_spec=self.email)

    def line(self) -> str:
        who = f"{self.name} <{self.email}>"
        return f"{who} ({self.institution})" if self.institution else who


class Letters:
    """Builds each message; ``sender`` is the From address."""

    def __init__(self, sender: str):
        self.sender = sender

    def _message(
        self, to: list[Person], lang: str, subject: str, paragraphs: list[str]
    ) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = [p.address() for p in to]
        msg["Subject"] = i18n.gettext_in(lang, subject)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain="cckg.invalid")
        msg["Auto-Submitted"] = "auto-generated"
        body = "\n\n".join(p for p in paragraphs if p)
        msg.set_content(body + "\n\n-- \n" + i18n.gettext_in(lang, SIGNATURE) + "\n")
        msg["Content-Language"] = lang  # after set_content, which replaces Content-* headers
        return msg

    @staticmethod
    def _t(lang: str, message: str, **params: object) -> str:
        text = i18n.gettext_in(lang, message)
        return text % params if params else text

    def _own_links(self, lang: str, status_url: str, data_url: str) -> list[str]:
        return [f"{self._t(lang, FOLLOW)}\n{status_url}", f"{self._t(lang, YOUR_DATA)}\n{data_url}"]

    def confirm(
        self,
        to: Person,
        kind: str,
        confirm_url: str,
        status_url: str,
        data_url: str,
        days: int,
        counterpart: str = "",
    ) -> EmailMessage:
        """Double opt-in: the link that confirms the address (submission or introduction)."""
        lang = to.lang
        thanks = (
            self._t(lang, THANKS[kind], counterpart=counterpart)
            if counterpart
            else self._t(lang, THANKS[kind])
        )
        return self._message(
            [to],
            lang,
            SUBJECT_CONFIRM,
            [
                self._t(lang, GREETING, name=to.name) + "\n" + thanks,
                f"{self._t(lang, CONFIRM_LINK, days=days)}\n{confirm_url}",
                self._t(lang, NEXT[kind]),
                *self._own_links(lang, status_url, data_url),
                self._t(lang, IGNORE, days=days),
            ],
        )

    def published(
        self, to: Person, public_url: str, match_url: str | None, status_url: str, data_url: str
    ) -> EmailMessage:
        lang = to.lang
        parts = [
            self._t(lang, GREETING, name=to.name) + "\n" + self._t(lang, PUBLISHED),
            public_url,
        ]
        if match_url:
            parts.append(f"{self._t(lang, FIND_HELP)}\n{match_url}")
        return self._message(
            [to], lang, SUBJECT_PUBLISHED, [*parts, *self._own_links(lang, status_url, data_url)]
        )

    def rejected(self, to: Person, reason: str, status_url: str, data_url: str) -> EmailMessage:
        lang = to.lang
        return self._message(
            [to],
            lang,
            SUBJECT_REJECTED,
            [
                self._t(lang, GREETING, name=to.name) + "\n" + self._t(lang, REJECTED),
                quote(reason),
                self._t(lang, SEND_AGAIN),
                *self._own_links(lang, status_url, data_url),
            ],
        )

    def merged(self, to: Person, into_url: str, status_url: str, data_url: str) -> EmailMessage:
        lang = to.lang
        return self._message(
            [to],
            lang,
            SUBJECT_MERGED,
            [
                self._t(lang, GREETING, name=to.name) + "\n" + self._t(lang, MERGED),
                into_url,
                *self._own_links(lang, status_url, data_url),
            ],
        )

    def request(
        self, to: Person, counterpart: str, need: str, place: str, answer_url: str
    ) -> EmailMessage:
        """To one contact of the counterpart: what is needed (no name, no address) and the
        link to accept or decline."""
        lang = to.lang
        return self._message(
            [to],
            lang,
            SUBJECT_REQUEST,
            [
                self._t(lang, GREETING, name=to.name)
                + "\n"
                + self._t(lang, REQUEST, counterpart=counterpart),
                quote(need),
                self._t(lang, REQUEST_PLACE, place=place) if place else "",
                f"{self._t(lang, REQUEST_ANSWER)}\n{answer_url}",
            ],
        )

    def introduction(
        self, requester: Person, contact: Person, need: str, days: int
    ) -> EmailMessage:
        """ONE message to both sides, with both contacts: in the requester's language, then in
        the contact's when it differs."""
        langs = list(dict.fromkeys([requester.lang, contact.lang]))
        sections = []
        for lang in langs:
            sections.append(
                "\n\n".join(
                    [
                        self._t(lang, GREETING, name=f"{requester.name}, {contact.name}")
                        + "\n"
                        + self._t(lang, INTRODUCTION),
                        f"- {requester.line()}\n- {contact.line()}",
                        f"{self._t(lang, ABOUT)}\n{quote(need)}",
                        self._t(lang, INTRODUCTION_NEXT, days=days),
                    ]
                )
            )
        msg = self._message(
            [requester, contact], langs[0], SUBJECT_INTRODUCTION, ["\n\n* * *\n\n".join(sections)]
        )
        return msg

    def declined(
        self, to: Person, counterpart: str, match_url: str, status_url: str, data_url: str
    ) -> EmailMessage:
        lang = to.lang
        return self._message(
            [to],
            lang,
            SUBJECT_DECLINED,
            [
                self._t(lang, GREETING, name=to.name)
                + "\n"
                + self._t(lang, DECLINED, counterpart=counterpart),
                match_url,
                *self._own_links(lang, status_url, data_url),
            ],
        )

    def followup(self, to: Person, other: str, outcome_url: str) -> EmailMessage:
        lang = to.lang
        return self._message(
            [to],
            lang,
            SUBJECT_FOLLOWUP,
            [
                self._t(lang, GREETING, name=to.name) + "\n" + self._t(lang, FOLLOWUP, other=other),
                outcome_url,
            ],
        )
