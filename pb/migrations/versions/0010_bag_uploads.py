"""BAG addresses in the register (street, huisletter, huisnummertoevoeging, woonplaats) and stored files

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 16:30:00

The register's single ``toevoeging`` becomes the BAG's ``huisletter`` (a single letter) and
``huisnummertoevoeging`` (everything else). Proposal photos and import error reports move from
the app host's disk into ``stored_files``; ``pb migrate-uploads`` copies photos already on disk.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pb.db

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('register_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('street', sa.String(length=80), server_default='', nullable=False))
        batch_op.add_column(sa.Column('huisletter', sa.String(length=1), server_default='', nullable=False))
        batch_op.add_column(sa.Column('woonplaats', sa.String(length=80), server_default='', nullable=False))
        batch_op.alter_column('toevoeging', new_column_name='huisnummertoevoeging',
                              existing_type=sa.String(length=8), existing_nullable=False)
        batch_op.drop_constraint('uq_register_entries_postcode_huisnummer_toevoeging', type_='unique')
    # A toevoeging of one letter was a huisletter ("12a"); the rest stays a toevoeging.
    op.execute(
        "UPDATE register_entries SET huisletter = huisnummertoevoeging, huisnummertoevoeging = '' "
        "WHERE LENGTH(huisnummertoevoeging) = 1 AND UPPER(huisnummertoevoeging) <> LOWER(huisnummertoevoeging)"
    )
    with op.batch_alter_table('register_entries', schema=None) as batch_op:
        batch_op.create_index('ux_register_entries_address',
                              ['postcode', 'huisnummer', 'huisletter', 'huisnummertoevoeging'], unique=True)
        # Replaces the index on area_id alone: it serves the same lookups and the letters' order.
        batch_op.drop_index('ix_register_entries_area_id')
        batch_op.create_index('ix_register_entries_area_address',
                              ['area_id', 'postcode', 'huisnummer', 'huisletter', 'huisnummertoevoeging'], unique=False)

    op.create_table('stored_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('content_type', sa.String(length=80), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', pb.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_files')),
    sa.UniqueConstraint('name', name=op.f('uq_stored_files_name'))
    )
    with op.batch_alter_table('stored_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_files_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stored_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_files_expires_at'))
    op.drop_table('stored_files')
    with op.batch_alter_table('register_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_register_entries_area_address')
        batch_op.create_index('ix_register_entries_area_id', ['area_id'], unique=False)
        batch_op.drop_index('ux_register_entries_address')
    op.execute("UPDATE register_entries SET huisnummertoevoeging = huisletter || huisnummertoevoeging")
    with op.batch_alter_table('register_entries', schema=None) as batch_op:
        batch_op.alter_column('huisnummertoevoeging', new_column_name='toevoeging',
                              existing_type=sa.String(length=8), existing_nullable=False)
        batch_op.create_unique_constraint('uq_register_entries_postcode_huisnummer_toevoeging',
                                          ['postcode', 'huisnummer', 'toevoeging'])
        batch_op.drop_column('woonplaats')
        batch_op.drop_column('huisletter')
        batch_op.drop_column('street')
