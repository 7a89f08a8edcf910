"""initial schema: catalogue, stock levels and ledger, reservations, shipments, messaging"""

import sqlalchemy as sa
from alembic import op

from servicekit import migrations as shared

revision = "ebe77abed777"
down_revision = None


def upgrade() -> None:
    shared.create_messaging_tables()
    op.create_table('order_demands',
    sa.Column('order_id', sa.String(length=200), nullable=False),
    sa.Column('seq', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('number', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('correlation_id', sa.String(length=200), nullable=True),
    sa.Column('causation_id', sa.String(length=200), nullable=True),
    *shared.timestamp_columns(),
    sa.CheckConstraint("status IN ('backordered', 'reserved', 'cancelled')", name=op.f('ck_order_demands_status')),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_order_demands')),
    sa.UniqueConstraint('seq', name=op.f('uq_order_demands_seq'))
    )
    op.create_index('ix_order_demands_backordered', 'order_demands', ['seq'], unique=False, postgresql_where=sa.text("status = 'backordered'"))
    op.create_table('products',
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('description', sa.String(length=4000), nullable=True),
    *shared.timestamp_columns(),
    sa.CheckConstraint("kind IN ('product', 'service')", name=op.f('ck_products_kind')),
    sa.PrimaryKeyConstraint('sku', name=op.f('pk_products'))
    )
    op.create_index('ix_products_kind_sku', 'products', ['kind', 'sku'], unique=False)
    op.create_table('warehouses',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    *shared.timestamp_columns("created_at"),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_warehouses'))
    )
    # The default warehouse every stock level lives in until more warehouses are added.
    op.bulk_insert(
        sa.table('warehouses', sa.column('code', sa.String), sa.column('name', sa.String)),
        [{'code': 'MAIN', 'name': 'Main warehouse'}],
    )
    op.create_table('reservation_lines',
    sa.Column('order_id', sa.String(length=200), nullable=False),
    sa.Column('warehouse', sa.String(length=32), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('shipped_quantity', sa.Numeric(precision=18, scale=3), server_default=sa.text('0'), nullable=False),
    sa.Column('released_quantity', sa.Numeric(precision=18, scale=3), server_default=sa.text('0'), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    *shared.timestamp_columns(),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_reservation_lines_quantity_positive')),
    sa.CheckConstraint('shipped_quantity >= 0 AND released_quantity >= 0 AND shipped_quantity + released_quantity <= quantity', name=op.f('ck_reservation_lines_within_quantity')),
    sa.ForeignKeyConstraint(['order_id'], ['order_demands.order_id'], name=op.f('fk_reservation_lines_order_id_order_demands')),
    sa.PrimaryKeyConstraint('order_id', 'warehouse', 'sku', name='pk_reservation_lines')
    )
    op.create_index('ix_reservation_lines_sku_status', 'reservation_lines', ['sku', 'status'], unique=False)
    op.create_table('shipments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('order_id', sa.String(length=200), nullable=False),
    sa.Column('warehouse', sa.String(length=32), nullable=False),
    sa.Column('fully_shipped', sa.Boolean(), nullable=False),
    *shared.timestamp_columns("created_at"),
    sa.ForeignKeyConstraint(['order_id'], ['order_demands.order_id'], name=op.f('fk_shipments_order_id_order_demands')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipments'))
    )
    op.create_index('ix_shipments_order_id', 'shipments', ['order_id', 'created_at', 'id'], unique=False)
    op.create_table('stock_levels',
    sa.Column('warehouse', sa.String(length=32), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('on_hand', sa.Numeric(precision=18, scale=3), server_default=sa.text('0'), nullable=False),
    sa.Column('reserved', sa.Numeric(precision=18, scale=3), server_default=sa.text('0'), nullable=False),
    *shared.timestamp_columns("updated_at"),
    sa.CheckConstraint('on_hand >= 0', name=op.f('ck_stock_levels_on_hand_not_negative')),
    sa.CheckConstraint('reserved <= on_hand', name=op.f('ck_stock_levels_reserved_within_on_hand')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_stock_levels_reserved_not_negative')),
    sa.ForeignKeyConstraint(['sku'], ['products.sku'], name=op.f('fk_stock_levels_sku_products')),
    sa.ForeignKeyConstraint(['warehouse'], ['warehouses.code'], name=op.f('fk_stock_levels_warehouse_warehouses')),
    sa.PrimaryKeyConstraint('warehouse', 'sku', name='pk_stock_levels')
    )
    op.create_table('shipment_lines',
    sa.Column('shipment_id', sa.String(length=36), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_shipment_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_shipment_lines_shipment_id_shipments')),
    sa.PrimaryKeyConstraint('shipment_id', 'sku', name='pk_shipment_lines')
    )
    op.create_table('stock_adjustments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('warehouse', sa.String(length=32), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('quantity_change', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('on_hand', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('reserved', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    *shared.timestamp_columns("created_at"),
    sa.ForeignKeyConstraint(['warehouse', 'sku'], ['stock_levels.warehouse', 'stock_levels.sku'], name='fk_stock_adjustments_stock_levels'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_adjustments'))
    )
    op.create_index('ix_stock_adjustments_sku', 'stock_adjustments', ['sku', 'created_at'], unique=False)
    op.create_table('stock_movements',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('warehouse', sa.String(length=32), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('quantity_change', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('on_hand_change', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('reserved_change', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('on_hand', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('reserved', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('order_id', sa.String(length=200), nullable=True),
    *shared.timestamp_columns("created_at"),
    sa.ForeignKeyConstraint(['warehouse', 'sku'], ['stock_levels.warehouse', 'stock_levels.sku'], name='fk_stock_movements_stock_levels'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movements'))
    )
    op.create_index('ix_stock_movements_sku_id', 'stock_movements', ['sku', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_stock_movements_sku_id', table_name='stock_movements')
    op.drop_table('stock_movements')
    op.drop_index('ix_stock_adjustments_sku', table_name='stock_adjustments')
    op.drop_table('stock_adjustments')
    op.drop_table('shipment_lines')
    op.drop_table('stock_levels')
    op.drop_index('ix_shipments_order_id', table_name='shipments')
    op.drop_table('shipments')
    op.drop_index('ix_reservation_lines_sku_status', table_name='reservation_lines')
    op.drop_table('reservation_lines')
    op.drop_table('warehouses')
    op.drop_index('ix_products_kind_sku', table_name='products')
    op.drop_table('products')
    op.drop_index('ix_order_demands_backordered', table_name='order_demands', postgresql_where=sa.text("status = 'backordered'"))
    op.drop_table('order_demands')
    shared.drop_messaging_tables()
