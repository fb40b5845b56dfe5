"""Starting texts for the accessibility and privacy statements, in plain Dutch (B1).

The admin starts from these and adapts them; until then the public pages show them as they are.
They describe what Buurtbudget itself does (which data, why, how long, the purge of the register),
so they are true for every municipality that runs it; the municipality adds its own contact
details, its data protection officer and the date of its own accessibility test.
Format: a blank line starts a paragraph, a line starting with ``## `` is a heading, ``- `` a list item.
"""

from __future__ import annotations


def accessibility(municipality: str) -> str:
    """A toegankelijkheidsverklaring to start from (after the model of toegankelijkheidsverklaring.nl)."""
    return f"""{municipality} wil dat iedereen Buurtbudget kan gebruiken: ook mensen met een beperking, mensen die slecht zien of horen, en mensen die de website met alleen een toetsenbord of met een schermlezer gebruiken.

## Welke eisen
De website moet voldoen aan de Europese norm EN 301 549 en aan de Web Content Accessibility Guidelines (WCAG) 2.2 op niveau A en AA. Dat is verplicht voor websites van de overheid (Besluit digitale toegankelijkheid overheid).

## Hoe ver zijn we
Buurtbudget voldoet gedeeltelijk aan deze eisen. Bij elke nieuwe versie testen wij de belangrijkste pagina's automatisch (met axe), op een telefoon (375 pixels breed) en op een computer, en met alleen het toetsenbord. Een onderzoek door een onafhankelijk bureau staat gepland.

## Wat nog niet goed werkt
- De bestanden om een uitslag na te tellen (zoals ballots.pb) zijn bedoeld voor programmeurs. De uitslag zelf staat als tekst en tabel op de uitslagpagina.
- Foto's bij plannen hebben niet altijd een goede beschrijving. De indiener schrijft die zelf.

## Iets werkt niet?
Kunt u iets niet gebruiken, of vindt u iets lastig? Laat het ons weten. Bel of mail het informatiepunt (zie Contact onderaan elke pagina). U krijgt binnen 5 werkdagen antwoord. Bent u niet tevreden met het antwoord? Dan kunt u een klacht indienen bij de gemeente of bij de Nationale ombudsman.

## Op papier of met hulp
Stemmen en een plan indienen kan ook op papier of met hulp van een medewerker van het informatiepunt.
"""


def privacy(municipality: str) -> str:
    """A privacyverklaring to start from: which data, why, how long, the purge of the register."""
    return f"""{municipality} is verantwoordelijk voor de gegevens op Buurtbudget. Hier leest u welke gegevens wij bewaren, waarom en hoe lang.

## Welke gegevens
- Uw account: uw naam, e-mailadres en een versleuteld wachtwoord.
- Of u in het gebied woont: wij koppelen uw account aan een adres uit het adressenbestand van de gemeente, met de code uit de brief of bij het informatiepunt. Uw geboortedatum alleen als een ronde een leeftijdsgrens heeft.
- Uw plannen en uw steun voor plannen. De titel en tekst van een plan zijn openbaar, met de naam die u zelf opgeeft.
- Dat u heeft gestemd. Wát u heeft gestemd is geheim: uw stembiljet wordt los van uw naam bewaard, en na het sluiten van de stemming kan niemand meer zien welk stembiljet van wie is.
- Welke plannen en gebieden u volgt en welke e-mails u wilt krijgen.
- Mislukte pogingen om een code in te voeren, met het internetadres (IP-adres), om misbruik te stoppen.

## Waarom
Wij gebruiken deze gegevens alleen om Buurtbudget te laten werken: om te zorgen dat alleen bewoners van het gebied meedoen, dat iedereen één keer stemt, en om u op de hoogte te houden als u dat wilt. Dit is een taak van algemeen belang van de gemeente (artikel 6 lid 1 sub e AVG). Wij verkopen of delen uw gegevens niet.

## Hoe lang
- Het adressenbestand en de codes uit de brieven wissen wij na de uitslag van de laatste ronde in het gebied. Wat blijft, is een versleutelde code per adres, zodat een adres in een volgende ronde niet twee keer kan meedoen; daaruit is het adres niet terug te halen.
- Uw account blijft tot u het verwijdert (bij Mijn account). Uw plannen blijven dan zonder uw naam staan.
- Stembiljetten zijn anoniem en blijven openbaar, zodat iedereen de uitslag kan natellen.
- Medewerkers van de gemeente werken in een logboek dat niet te wijzigen is. Daarin staat wie wat heeft gedaan.

## Uw rechten
U mag uw gegevens inzien, laten verbeteren of laten verwijderen. Neem daarvoor contact op met het informatiepunt (zie Contact onderaan elke pagina). Heeft u een klacht over hoe wij met uw gegevens omgaan? Neem contact op met de functionaris gegevensbescherming van de gemeente. U kunt ook een klacht indienen bij de Autoriteit Persoonsgegevens.
"""
